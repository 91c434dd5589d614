// Load shapes shared by the benches: a closed loop (each client keeps one call in flight: the
// maximum throughput) and an open loop (calls issued on a fixed schedule, latency measured from
// the scheduled time, so a stall is not hidden by coordinated omission).

import { performance } from 'node:perf_hooks';
import { sleep, type Sample } from './stats.ts';
import type { WireClient } from './wsclient.ts';

/** `seconds`, or a predicate that says when to stop (checked before each call). */
export async function closedLoop(name: string, clients: readonly WireClient[], fn: string, seconds: number | (() => boolean), args: readonly unknown[] = []): Promise<Sample> {
  const latencies: number[] = [];
  let ops = 0;
  const start = performance.now();
  const end = typeof seconds === 'number' ? start + seconds * 1000 : Infinity;
  const done = typeof seconds === 'number' ? () => performance.now() >= end : seconds;
  await Promise.all(
    clients.map(async (c) => {
      while (!done()) {
        const t = performance.now();
        const f = await c.call(fn, args);
        if (f.errCode !== 0) throw new Error(`${fn}: ${f.errCode} ${f.errMsg}`);
        latencies.push(performance.now() - t);
        ops++;
      }
    }),
  );
  return { name, latencies, ops, seconds: (performance.now() - start) / 1000 };
}

export async function openLoop(name: string, clients: readonly WireClient[], fn: string, ratePerSec: number, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  const total = Math.max(1, Math.floor(ratePerSec * seconds));
  const interval = 1000 / ratePerSec;
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let i = 0;
  while (i < total) {
    for (; i < total && start + i * interval <= performance.now(); i++) {
      const scheduled = start + i * interval;
      const c = clients[i % clients.length]!;
      inflight.push(
        c.call(fn).then((f) => {
          if (f.errCode !== 0) throw new Error(`${fn}: ${f.errCode} ${f.errMsg}`);
          latencies.push(performance.now() - scheduled);
        }),
      );
    }
    if (i >= total) break;
    // Always yield, so the answers are read while the schedule runs.
    const wait = start + i * interval - performance.now();
    await (wait > 1 ? sleep(wait) : new Promise<void>((r) => setImmediate(r)));
  }
  await Promise.all(inflight);
  return { name, latencies, ops: total, seconds: (performance.now() - start) / 1000 };
}
