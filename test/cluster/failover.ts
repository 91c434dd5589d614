// One failover episode, measured: a node is drained or killed while other users keep sending to
// its users; every user of that node must come back (through nginx, to another node) and chat,
// and every message the gateway acknowledged must reach its recipient. Used by the cluster test
// (bounds) and by bench/failover.ts (figures, also against an older checkout).

import type { ClusterNode } from './harness.ts';
import type { ClusterUser } from './clients.ts';

export type FailoverMode = 'drain-admin' | 'drain-sigterm' | 'kill';

export interface FailoverResult {
  readonly mode: FailoverMode;
  readonly node: string;
  readonly users: number;
  /** Per user of the failed node: ms from the event to sent-and-received again, ascending. */
  readonly backMs: readonly number[];
  /** Per user: ms from its socket's close to back (what the user saw as an outage). */
  readonly outageMs: readonly number[];
  /** Messages the gateway acknowledged during the episode / of those, not received. */
  readonly acked: number;
  readonly lost: readonly string[];
  /** Acknowledged messages a recipient got more than once (reported, not a failure). */
  readonly duplicates: number;
  /** Users not back within the bound, with what they lacked. */
  readonly notBack: readonly string[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function summary(r: FailoverResult): string {
  const s = (a: readonly number[]): string => `median ${(quantile(a, 0.5) / 1000).toFixed(1)} s, p90 ${(quantile(a, 0.9) / 1000).toFixed(1)} s, max ${((a.at(-1) ?? NaN) / 1000).toFixed(1)} s`;
  return `${r.mode} ${r.node}: ${r.users} users back after ${s(r.backMs)} (outage per user ${s(r.outageMs)}); ${r.acked} messages acknowledged, ${r.lost.length} lost, ${r.duplicates} duplicates, ${r.notBack.length} not back`;
}

export interface Episode {
  readonly node: ClusterNode;
  /** Users whose session is on `node`. */
  readonly victims: readonly ClusterUser[];
  /** Users elsewhere: they send to the victims meanwhile, and receive the victims' probes. */
  readonly others: readonly ClusterUser[];
  readonly mode: FailoverMode;
  /** Bound on the whole episode. */
  readonly timeoutMs: number;
  readonly tag: string;
}

/** Run one episode; the node is left drained (still up) or dead (the caller restarts it). */
export async function failover(e: Episode): Promise<FailoverResult> {
  const { node, victims, others } = e;
  const acked: Array<{ to: ClusterUser; text: string }> = [];
  let sending = true;
  let seq = 0;
  // Background traffic into the failing node, one message at a time per sender (a send whose
  // socket dropped never answers in 3.5.2, so each is bounded and simply not counted).
  const senders = others.slice(0, Math.max(1, Math.min(others.length, victims.length))).map(async (from, i) => {
    while (sending) {
      const to = victims[(i + seq++) % victims.length]!;
      const text = `${e.tag} bg ${from.userID}->${to.userID} #${seq}`;
      try {
        await from.send(to.userID, text, 5_000);
        acked.push({ to, text });
      } catch {
        // not acknowledged: no promise made
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });
  await new Promise((r) => setTimeout(r, 500));

  const t0 = Date.now();
  if (e.mode === 'kill') await node.kill();
  else if (e.mode === 'drain-sigterm') node.proc?.child.kill('SIGTERM');
  else void node.admin('POST', '/admin/drain');

  const back = await Promise.all(victims.map(async (u, i) => {
    const peer = others[i % others.length]!;
    const deadline = t0 + e.timeoutMs;
    // Back: a new session synced for this client after the event, then a round trip.
    await u.waitEvent('OnSyncServerFinish', t0, Math.max(1, deadline - Date.now()));
    for (let attempt = 0; ; attempt++) {
      const text = `${e.tag} probe ${u.userID} #${attempt}`;
      try {
        await u.send(peer.userID, text, 5_000);
        acked.push({ to: peer, text });
        await peer.waitReceived(text, Math.max(1, deadline - Date.now()));
        const at = Date.now();
        const closed = u.closes().find((c) => c >= t0 - 50) ?? t0;
        const opened = u.opens().find((c) => c >= closed) ?? NaN;
        const synced = u.events.find((ev) => ev.event === 'OnSyncServerFinish' && ev.at >= t0)?.at ?? NaN;
        const connected = u.events.find((ev) => ev.event === 'OnConnectSuccess' && ev.at >= t0)?.at ?? NaN;
        if (process.env.FAILOVER_DEBUG) console.log(`${u.userID}: closed +${closed - t0} open +${opened - t0} upstream +${connected - t0} synced +${synced - t0} back +${at - t0} (${attempt + 1} probes, ${u.failedRedials} failed redials)`);
        return { back: at - t0, outage: at - closed };
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${u.userID} not back within ${e.timeoutMs} ms: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }).map((p) => p.catch((err: Error) => ({ back: NaN, outage: NaN, err }))));
  sending = false;
  await Promise.all(senders);

  // Every acknowledged message reaches its recipient (the victims' via the new node's catch-up).
  const settleBy = Date.now() + 15_000;
  const missing = (): Array<{ to: ClusterUser; text: string }> => acked.filter((a) => !a.to.received.some((r) => r.text === a.text));
  while (missing().length > 0 && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 100));
  const lost = missing().map((a) => `${a.to.userID}: ${a.text}`);
  let duplicates = 0;
  for (const a of acked) if (a.to.received.filter((r) => r.text === a.text).length > 1) duplicates++;
  const notBack = back.map((b, i) => {
    if (!('err' in b)) return null;
    const u = victims[i]!;
    const tail = u.events.filter((ev) => ev.at >= t0).map((ev) => ev.event).slice(-6).join(',');
    return `${u.userID} (${u.connected() ? 'connected' : 'no socket'}, ${u.failedRedials} failed redials, ${u.refusedRelogins.length} refused logins ${JSON.stringify(u.refusedRelogins[0] ?? null)}, events since: ${tail}): ${b.err.message}`;
  }).filter((x): x is string => x !== null);
  return {
    mode: e.mode,
    node: node.id,
    users: victims.length,
    backMs: back.map((b) => b.back).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
    outageMs: back.map((b) => b.outage).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
    acked: acked.length,
    lost,
    duplicates,
    notBack,
  };
}
