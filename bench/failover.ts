// Failover figures: nginx (deploy/nginx/sdkgate.conf) in front of several sdkgate nodes on this
// machine, users of the real client (open-im-sdk@3.5.2) logged in through it; one node drained
// or killed at a time; how long until each of its users is back and chatting, and whether an
// acknowledged message was lost. Needs nginx (apt-get install nginx-light). Not in `make bench`.
//
//   node bench/failover.ts
//   FAILOVER_USERS=60 FAILOVER_NODES=3 FAILOVER_MODES=drain-admin,drain-sigterm,kill node bench/failover.ts
//   # an older checkout (before --trust-proxy and POST /admin/drain), for before/after figures:
//   FAILOVER_ROOT=/tmp/sdkgate-before FAILOVER_LEGACY=1 FAILOVER_MODES=drain-sigterm,kill node bench/failover.ts

import { startCluster } from '../test/cluster/harness.ts';
import { ClusterUser, installBoundWebSocket } from '../test/cluster/clients.ts';
import { failover, summary, type FailoverMode } from '../test/cluster/failover.ts';

const users = Number(process.env.FAILOVER_USERS ?? 60);
const nodeCount = Number(process.env.FAILOVER_NODES ?? 3);
const legacy = process.env.FAILOVER_LEGACY === '1';
const modes = (process.env.FAILOVER_MODES ?? (legacy ? 'drain-sigterm,kill' : 'drain-admin,kill')).split(',') as FailoverMode[];

installBoundWebSocket();
const cluster = await startCluster({
  nodes: nodeCount,
  ...(process.env.FAILOVER_ROOT ? { root: process.env.FAILOVER_ROOT } : {}),
  current: !legacy,
  // An older checkout keys the per-IP limit on nginx's address: lift it, or logins are refused.
  nodeArgs: ['--start-timeout-ms', '60000', ...(legacy ? ['--max-upgrades-per-ip', '100000'] : [])],
});
const all: ClusterUser[] = [];
try {
  const ids = Array.from({ length: users }, (_, i) => `fo${String(i).padStart(3, '0')}`);
  await cluster.im.register(ids);
  ids.forEach((id, i) => all.push(new ClusterUser(id, i)));
  const t0 = Date.now();
  await Promise.all(all.map(async (u) => u.login(await cluster.im.token(u.userID), cluster.im.apiAddress, cluster.url, 120_000)));
  console.log(`${users} users logged in through nginx in ${Date.now() - t0} ms (${nodeCount} nodes${legacy ? ', legacy checkout' : ''})`);
  for (const [i, mode] of modes.entries()) {
    const where = new Map<string, string>();
    for (const n of cluster.nodes) for (const s of await n.sessions()) where.set(s.userID, n.id);
    const count = (id: string): number => [...where.values()].filter((v) => v === id).length;
    const node = [...cluster.nodes].sort((a, b) => count(b.id) - count(a.id))[0]!;
    const victims = all.filter((u) => where.get(u.userID) === node.id);
    const others = all.filter((u) => where.get(u.userID) !== node.id && where.has(u.userID));
    const r = await failover({ node, victims, others, mode, timeoutMs: 120_000, tag: `e${i}` });
    console.log(summary(r));
    if (r.notBack.length) console.log('  not back:', r.notBack.slice(0, 5).join('; '));
    if (r.lost.length) console.log('  lost:', r.lost.slice(0, 5).join('; '));
    if (process.env.FAILOVER_DEBUG) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`/tmp/failover-nginx-${i}.log`, cluster.nginxLog());
    }
    // The node comes back empty; its users stay where they went.
    if (mode === 'drain-admin') node.proc?.child.kill('SIGTERM');
    await node.proc?.exited;
    node.proc = null;
    await node.start();
  }
} finally {
  for (const u of all) u.stop();
  await cluster.close();
}
process.exit(0);
