// `make test-cluster`: three sdkgate nodes behind nginx (the Debian package, configured by the
// shipped deploy/nginx/sdkgate.conf), one IM server, real clients (open-im-sdk@3.5.2) each from
// its own loopback address. The IM server kicks same-token duplicates as OpenIM up to v3.8.3 did
// (--kick-same-token), so a user's session that starts on a returning node ends the old one on
// the node that held it meanwhile (later OpenIM versions keep both; the old one then ends with
// its idle grace: docs/scale-out.md).
//
// Checked: 200 logins at once through nginx without a 429; users on different nodes chat; a
// drained node and a killed node (SIGKILL) lose no acknowledged message and every one of their
// users is back and chatting; after the nodes return and the clients redial, no user holds two
// sessions and nobody was told it was kicked; every log line names its node. The failover
// figures are printed (and kept in docs/scale-out.md).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents } from 'open-im-sdk';
import { ClusterUser, dropSockets, installBoundWebSocket } from './clients.ts';
import { failover, summary, type FailoverResult } from './failover.ts';
import { startCluster, type Cluster, type ClusterNode } from './harness.ts';

let cluster: Cluster;
let restore: (() => void) | undefined;
const everyone: ClusterUser[] = [];
const figures: FailoverResult[] = [];

const consoleError = console.error;
beforeAll(async () => {
  // 3.5.2 prints this for a call made while its socket is down (the probes during a failover).
  console.error = (...a: unknown[]) => {
    if (!String(a[0]).includes('WebSocket is not open')) consoleError(...a);
  };
  restore = installBoundWebSocket();
  cluster = await startCluster({
    nodes: 3,
    imArgs: ['--kick-same-token'],
    // A loaded 2-CPU machine: generous bounds on a session start, nothing else changed.
    // Info level: the log test below reads every kind of line (connections, sessions, cores).
    nodeArgs: ['--start-timeout-ms', '60000', '--auth-timeout-ms', '20000', '--idle-grace-ms', '60000', '--openIM_log_level', 'info'],
  });
});

afterAll(async () => {
  for (const u of everyone) u.stop();
  for (const f of figures) console.log(summary(f));
  await cluster?.close();
  restore?.();
  console.error = consoleError;
});

function users(prefix: string, n: number, offset: number): ClusterUser[] {
  const out = Array.from({ length: n }, (_, i) => new ClusterUser(`${prefix}${String(i).padStart(3, '0')}`, offset + i));
  everyone.push(...out);
  return out;
}

async function loginAll(list: readonly ClusterUser[], waitSync = true): Promise<void> {
  await cluster.im.register(list.map((u) => u.userID));
  await Promise.all(list.map(async (u) => u.login(await cluster.im.token(u.userID), cluster.im.apiAddress, cluster.url, 120_000, waitSync)));
}

/** userID -> the nodes holding a session for it (platform 5). */
async function placement(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const n of cluster.nodes) {
    if (!n.proc) continue;
    for (const s of await n.sessions()) out.set(s.userID, [...(out.get(s.userID) ?? []), n.id]);
  }
  return out;
}

async function restart(node: ClusterNode): Promise<void> {
  if (node.proc) {
    node.proc.child.kill('SIGTERM');
    expect(await node.proc.exited).toBe(0);
  }
  node.proc = null;
  await node.start();
}

function rejected(metrics: string, reason: string): number {
  const m = new RegExp(`^sdkgate_upgrades_rejected_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(metrics);
  return m ? Number(m[1]) : 0;
}

describe('several sdkgate nodes behind nginx', () => {
  const chat = users('c', 24, 0);

  it('takes 200 logins at once through nginx, from 200 addresses, without a 429', async () => {
    const crowd = users('l', 200, 24);
    const t0 = Date.now();
    await loginAll(crowd, false); // logged in is what counts here, not their first syncs
    const ms = Date.now() - t0;
    const where = await placement();
    for (const u of crowd) expect(where.get(u.userID), u.userID).toHaveLength(1);
    for (const n of cluster.nodes) {
      expect(crowd.some((u) => where.get(u.userID)?.[0] === n.id), `${n.id} got none`).toBe(true);
      expect(rejected(await n.metrics(), 'GW_TOO_MANY_UPGRADES')).toBe(0);
    }
    console.log(`200 logins through nginx in ${ms} ms (${crowd.reduce((a, u) => a + u.loginRetries, 0)} retried after 20036), per node ${cluster.nodes.map((n) => `${n.id} ${crowd.filter((u) => where.get(u.userID)?.[0] === n.id).length}`).join(', ')}`);
    await Promise.all(crowd.map((u) => u.logout()));
    for (const u of crowd) u.stop();
  }, 300_000);

  it('lets users on different nodes chat', async () => {
    await loginAll(chat);
    const where = await placement();
    const nodeOf = (u: ClusterUser): string => where.get(u.userID)![0]!;
    for (const n of cluster.nodes) expect(chat.filter((u) => nodeOf(u) === n.id).length, `${n.id} has chat users`).toBeGreaterThan(0);
    await Promise.all(chat.map(async (u, i) => {
      const peer = chat.find((p, j) => j > i && nodeOf(p) !== nodeOf(u)) ?? chat.find((p) => nodeOf(p) !== nodeOf(u))!;
      const text = `hello ${u.userID}@${nodeOf(u)} -> ${peer.userID}@${nodeOf(peer)}`;
      await u.send(peer.userID, text);
      await peer.waitReceived(text, 20_000);
    }));
  }, 120_000);

  async function episode(mode: 'drain-admin' | 'kill'): Promise<{ node: ClusterNode; r: FailoverResult }> {
    const where = await placement();
    const count = (n: ClusterNode): number => chat.filter((u) => where.get(u.userID)?.[0] === n.id).length;
    const node = [...cluster.nodes].sort((a, b) => count(b) - count(a))[0]!;
    const victims = chat.filter((u) => where.get(u.userID)?.[0] === node.id);
    const others = chat.filter((u) => where.get(u.userID)?.[0] !== node.id);
    const r = await failover({ node, victims, others, mode, timeoutMs: 90_000, tag: mode });
    figures.push(r);
    expect(r.notBack).toEqual([]);
    expect(r.lost).toEqual([]);
    const after = await placement();
    for (const u of victims) expect(after.get(u.userID), u.userID).toHaveLength(1);
    return { node, r };
  }

  it('drains a node: its users come back through nginx on the others, no acknowledged message lost', async () => {
    const { node } = await episode('drain-admin');
    // Drained, but up and saying so until it is stopped.
    expect(await node.sessions()).toEqual([]);
    const ready = await fetch(`${node.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toContain('draining');
    await restart(node);
  }, 180_000);

  it('survives a node killed with SIGKILL: its users come back, no acknowledged message lost', async () => {
    const { node } = await episode('kill');
    await restart(node);
  }, 180_000);

  it('ends with one session per user once the nodes are back and the clients redial, and tells nobody it was kicked', async () => {
    // A network blip for everyone: each client redials (5 s) and nginx sends it to its own node,
    // now that every node is up; a session it left on another node ends when upstream kicks it.
    const before = await placement();
    const t0 = Date.now();
    for (const u of chat) dropSockets(u.userID);
    await Promise.all(chat.map(async (u) => {
      const deadline = Date.now() + 90_000;
      while (!u.logins.some((t) => t > t0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(u.logins.some((t) => t > t0), `${u.userID} logged in again`).toBe(true);
    }));
    // Well within the 60 s idle grace: only the kick can have ended a session left elsewhere.
    const deadline = Date.now() + 30_000;
    let where = await placement();
    while (chat.some((u) => where.get(u.userID)?.length !== 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      where = await placement();
    }
    for (const u of chat) expect(where.get(u.userID), u.userID).toHaveLength(1);
    const moved = chat.filter((u) => before.get(u.userID)?.[0] !== where.get(u.userID)?.[0]);
    expect(moved.length, 'some users went home to a returned node').toBeGreaterThan(0);
    console.log(`${moved.length} of ${chat.length} users moved home after the blip; their old sessions ended on upstream's kick`);
    for (const u of everyone) expect(u.events.map((e) => e.event), u.userID).not.toContain(CbEvents.OnKickedOffline);
    // And they chat.
    await Promise.all(chat.map(async (u, i) => {
      const peer = chat[(i + 1) % chat.length]!;
      const text = `after the nodes returned ${u.userID} -> ${peer.userID}`;
      await u.send(peer.userID, text);
      await peer.waitReceived(text, 30_000);
    }));
  }, 180_000);

  it('names its node in every log line', () => {
    for (const n of cluster.nodes) {
      const lines = n.proc!.stdout().split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length, `${n.id} logged`).toBeGreaterThan(10);
      for (const l of lines) expect((JSON.parse(l) as { node?: string }).node, l.slice(0, 200)).toBe(n.id);
    }
  });
});
