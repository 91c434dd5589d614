// The shipped nginx config (deploy/nginx/sdkgate.conf) keeps the properties scale-out relies on;
// `make test-cluster` runs nginx with it (test/cluster/harness.ts replaces only the addresses).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionSpecs } from '../../src/options.ts';
import { nginxConfig, SHIPPED_CONF } from '../cluster/harness.ts';

const conf = readFileSync(SHIPPED_CONF, 'utf8');
const live = conf.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).join('\n');
const seconds = (directive: string): number => Number(new RegExp(`^${directive}\\s+(\\d+)s;`, 'm').exec(live)?.[1] ?? NaN);

describe('deploy/nginx/sdkgate.conf', () => {
  it('hashes every connection of a user to one node, consistently', () => {
    expect(live).toMatch(/^hash \$arg_sendID consistent;$/m);
  });

  it('never marks a node down (failures are forgiven only when a WebSocket ends) and retries the next node on a refused, dead or draining one', () => {
    const servers = live.split('\n').filter((l) => /^server \S+:\d+/.test(l));
    expect(servers.length).toBeGreaterThan(1);
    for (const s of servers) expect(s).toMatch(/ max_fails=0;$/);
    expect(live).toMatch(/^proxy_next_upstream error timeout http_502 http_503;$/m);
  });

  it('passes WebSocket upgrades and the client address', () => {
    expect(live).toMatch(/^proxy_http_version 1\.1;$/m);
    expect(live).toMatch(/^proxy_set_header Upgrade \$http_upgrade;$/m);
    expect(live).toMatch(/^proxy_set_header Connection \$sdkgate_connection;$/m);
    expect(live).toMatch(/^proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;$/m);
  });

  it('times out idle proxied sockets only well after sdkgate\'s ping interval', () => {
    const ping = optionSpecs.pingIntervalMs.default / 1000;
    expect(seconds('proxy_read_timeout')).toBeGreaterThanOrEqual(2 * ping);
    expect(seconds('proxy_send_timeout')).toBeGreaterThanOrEqual(2 * ping);
  });

  it('gives the cluster test its addresses and nothing else', () => {
    const out = nginxConfig(conf, 8080, [1001, 1002, 1003, 1004]);
    const diff = (a: string) => a.split('\n').filter((l) => /^\s*(server \S+:\d+|listen)/.test(l));
    expect(diff(out)).toEqual([
      '    server 127.0.0.1:1001 max_fails=0;',
      '    server 127.0.0.1:1002 max_fails=0;',
      '    server 127.0.0.1:1003 max_fails=0;',
      '    server 127.0.0.1:1004 max_fails=0;',
      '    listen 127.0.0.1:8080;',
    ]);
    const rest = (a: string) => a.split('\n').filter((l) => !/^\s*(server \S+:\d+|listen)/.test(l));
    expect(rest(out)).toEqual(rest(conf));
  });
});
