// --trust-proxy: X-Forwarded-For names the client only when the socket's peer is a listed proxy,
// read from the right; the per-IP upgrade limit and the logs use that address; a draining node
// answers a trusted proxy with a plain 503 so the proxy can pass the upgrade to another node.

import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalog, isGatewayError } from '../../src/errors.ts';
import { TrustedProxies } from '../../src/gateway/client-address.ts';
import type { Gateway } from '../../src/index.ts';
import { resolveOptions } from '../../src/options.ts';
import { inBandRefusal, rawUpgrade, RawClient, upgradeUrl } from '../helpers/client.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';
import { FakeSupervisor } from '../helpers/fake-supervisor.ts';
import { captureLogger, startTestGateway, type OptionOverrides } from '../helpers/gateway.ts';

function req(remoteAddress: string, xff?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage;
}

describe('TrustedProxies', () => {
  const p = new TrustedProxies(['10.0.0.5', '10.1.0.0/16', 'fd00::/8', '127.0.0.1']);

  it('matches addresses, IPv4 and IPv6 subnets, and IPv4-mapped peers', () => {
    expect(p.trusts('10.0.0.5')).toBe(true);
    expect(p.trusts('10.0.0.6')).toBe(false);
    expect(p.trusts('10.1.200.3')).toBe(true);
    expect(p.trusts('::ffff:10.1.2.3')).toBe(true);
    expect(p.trusts('fd12::1')).toBe(true);
    expect(p.trusts('fe80::1')).toBe(false);
    expect(p.trusts('not-an-ip')).toBe(false);
    expect(p.trusts(undefined)).toBe(false);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(p.clientAddress(req('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
    expect(new TrustedProxies([]).clientAddress(req('127.0.0.1', '203.0.113.7'))).toBe('127.0.0.1');
  });

  it('takes the rightmost address that is not a trusted proxy, past a chain of proxies', () => {
    expect(p.clientAddress(req('10.0.0.5', '203.0.113.7'))).toBe('203.0.113.7');
    // A client that forges the header only adds to its left: the proxy's own entry wins.
    expect(p.clientAddress(req('10.0.0.5', '1.2.3.4, 203.0.113.7'))).toBe('203.0.113.7');
    // A load balancer (10.1.0.0/16) in front of nginx (10.0.0.5): both hops are skipped.
    expect(p.clientAddress(req('10.0.0.5', '1.2.3.4, 203.0.113.7, 10.1.0.9'))).toBe('203.0.113.7');
    // Header given twice: joined in order.
    expect(p.clientAddress(req('::ffff:10.0.0.5', ['1.2.3.4', '203.0.113.8']))).toBe('203.0.113.8');
  });

  it('stops at the last proxy when a hop is not an address, and without a header uses the peer', () => {
    expect(p.clientAddress(req('10.0.0.5', 'evil, 10.1.0.9'))).toBe('10.1.0.9');
    expect(p.clientAddress(req('10.0.0.5', ''))).toBe('10.0.0.5');
    expect(p.clientAddress(req('10.0.0.5'))).toBe('10.0.0.5');
    expect(p.clientAddress(req('::ffff:198.51.100.9'))).toBe('198.51.100.9');
  });

  it('is validated as an option, naming the flag and the entry', () => {
    expect(resolveOptions(['--trust-proxy', '10.0.0.5, 10.1.0.0/16,fd00::/8']).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16', 'fd00::/8']);
    for (const bad of ['nginx.local', '10.0.0.0/33', '10.0.0.0/x', 'fd00::/129']) {
      let err: unknown;
      try {
        resolveOptions(['--trust-proxy', bad]);
      } catch (e) {
        err = e;
      }
      expect(isGatewayError(err, 'GW_OPTIONS_INVALID')).toBe(true);
      expect((err as Error).message).toContain('--trust-proxy');
      expect((err as Error).message).toContain(bad);
    }
  });
});

describe('the gateway behind a trusted proxy', () => {
  let im: FakeIm;
  beforeAll(async () => {
    im = await startFakeIm();
  });
  afterAll(async () => {
    await im.close();
  });
  const gateways: Gateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });
  async function start(overrides: OptionOverrides, log = captureLogger('info')): Promise<Gateway> {
    const g = await startTestGateway(
      { apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', logLevel: 'info', ...overrides },
      { supervisor: new FakeSupervisor(), log: log.log },
    );
    gateways.push(g);
    return g;
  }
  const probe = (g: Gateway, xff?: string) =>
    rawUpgrade(upgradeUrl(g.url, { sendID: 'u1', platformID: 5, operationID: 'o' }), xff ? { 'x-forwarded-for': xff } : {}).then((a) => a.status);

  it('limits upgrades per forwarded client, not per proxy', async () => {
    const g = await start({ maxUpgradesPerIp: 1, trustProxy: ['127.0.0.1'] });
    // 400 = got past the rate limit (the query lacks a token); 429 = limited.
    expect(await probe(g, '203.0.113.1')).toBe(400);
    expect(await probe(g, '203.0.113.2')).toBe(400);
    expect(await probe(g, '203.0.113.3')).toBe(400);
    expect(await probe(g, '203.0.113.1')).toBe(429);
  });

  it('does not let a forged X-Forwarded-For escape the limit when the peer is not trusted', async () => {
    const g = await start({ maxUpgradesPerIp: 1, trustProxy: ['10.0.0.5'] });
    expect(await probe(g, '203.0.113.1')).toBe(400);
    expect(await probe(g, '203.0.113.2')).toBe(429);
  });

  it('logs the forwarded client address', async () => {
    const cap = captureLogger('info');
    const g = await start({ trustProxy: ['127.0.0.1'] }, cap);
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }), { headers: { 'x-forwarded-for': '203.0.113.9' } });
    await inBandRefusal(upgradeUrl(g.url, { sendID: 'u2', token: 'nope', platformID: 5, operationID: 'o' }), { 'x-forwarded-for': '203.0.113.10' });
    await c.close();
    const lines = cap.lines.map((l) => JSON.parse(l) as { msg: string; ip?: string });
    expect(lines.find((l) => l.msg === 'connected')?.ip).toBe('203.0.113.9');
    expect(lines.find((l) => l.msg === 'upgrade refused')?.ip).toBe('203.0.113.10');
  });

  it('while draining, answers a trusted proxy with a plain 503 (it can try another node) and a browser in band', async () => {
    const g = await start({ trustProxy: ['127.0.0.1'] });
    const direct = await start({});
    await Promise.all([g.server.drain(), direct.server.drain()]);
    const url = (base: string) => upgradeUrl(base, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' });
    const viaProxy = await rawUpgrade(url(g.url), { 'x-forwarded-for': '203.0.113.1' });
    expect(viaProxy.status).toBe(503);
    expect(viaProxy.headers['retry-after']).toBe('5');
    expect(JSON.parse(viaProxy.body).errCode).toBe(catalog.GW_DRAINING.code);
    const inBand = await inBandRefusal(url(direct.url));
    expect(inBand.code).toBe(4503);
    expect(inBand.frames[0]?.errCode).toBe(catalog.GW_DRAINING.code);
  });
});
