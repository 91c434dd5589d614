// The watchdog's bounds with fake timers and a fake worker whose event loop the test drives:
// idle workers are not pinged, busy ones are, and a worker that gets stuck (idle or busy before)
// is still declared stuck within its bound.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_PING_MS, Watchdog, type WatchdogOptions } from '../../src/supervisor/watchdog.ts';

const WD = 5_000;
const TICK = WD / 5;

/** A worker's event loop as the main thread sees it: cumulative idle/active time. */
class FakeWorker {
  spinning = false;
  /** Answers pings (a spinning loop never does). */
  get answering(): boolean {
    return !this.spinning && !this.deaf;
  }
  deaf = false;
  heapUsed = 10 * 1024 * 1024;
  pings = 0;
  eluReads = 0;
  #idle = 0;
  #active = 0;
  #last = Date.now();

  /** Account the time since the last sample to the current state (call before switching it). */
  settle(): void {
    const now = Date.now();
    if (this.spinning) this.#active += now - this.#last;
    else this.#idle += now - this.#last;
    this.#last = now;
  }

  #prevIdle = 0;
  #prevActive = 0;

  /** The BusySampler: the share of the time since the last sample the loop was busy. */
  readonly sample = (): number => {
    this.eluReads++;
    this.settle();
    const active = this.#active - this.#prevActive;
    const idle = this.#idle - this.#prevIdle;
    this.#prevActive = this.#active;
    this.#prevIdle = this.#idle;
    return active + idle > 0 ? active / (active + idle) : 0;
  };
}

interface Run {
  worker: FakeWorker;
  dog: Watchdog;
  stuckAt: number | null;
  softHeap: string[];
  calls: { inFlight: number };
}

const runs: Run[] = [];

function watch(extra: Partial<WatchdogOptions> = {}): Run {
  const worker = new FakeWorker();
  const calls = { inFlight: 0 };
  const run = { worker, stuckAt: null as number | null, softHeap: [] as string[], calls } as Run;
  run.dog = new Watchdog(worker.sample, {
    watchdogMs: WD,
    softHeapBytes: 100 * 1024 * 1024,
    ping: (seq) => {
      worker.pings++;
      if (worker.answering) queueMicrotask(() => run.dog.pong(seq, worker.heapUsed));
    },
    busy: () => calls.inFlight > 0,
    onStuck: () => (run.stuckAt = Date.now()),
    onSoftHeap: (d) => run.softHeap.push(d),
    ...extra,
  });
  runs.push(run);
  return run;
}

/** Advance fake time in small steps, so microtask pongs are delivered between ticks. */
async function pass(ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  for (const r of runs.splice(0)) r.dog.stop();
  vi.useRealTimers();
});

describe('watchdog', () => {
  it('does not ping an idle worker (but for a heap refresh every 30 s) and looks at it every third tick', async () => {
    const { worker, stuckAt } = watch();
    await pass(60_000);
    // The first tick, then one refresh per IDLE_PING_MS.
    expect(worker.pings).toBe(1 + Math.floor((60_000 - TICK) / IDLE_PING_MS));
    expect(worker.eluReads).toBeLessThanOrEqual(1 + 60_000 / (3 * TICK) + 1);
    expect(stuckAt).toBeNull();
  });

  it('pings a worker with calls in flight every tick, and leaves it alone while it answers', async () => {
    const r = watch();
    r.calls.inFlight = 2;
    await pass(10_000);
    expect(r.worker.pings).toBeGreaterThanOrEqual(10_000 / TICK - 1);
    expect(r.stuckAt).toBeNull();
  });

  it('declares a worker stuck within 1.25 × watchdogMs when it starts spinning while idle', async () => {
    for (const offset of [0, 700, 1300, 2400]) {
      const r = watch();
      await pass(20_000 + offset);
      r.worker.settle();
      r.worker.spinning = true;
      const t0 = Date.now();
      await pass(3 * WD);
      expect(r.stuckAt, `offset ${offset}`).not.toBeNull();
      expect(r.stuckAt! - t0, `offset ${offset}`).toBeLessThanOrEqual(1.25 * WD);
      r.dog.stop();
    }
  });

  it('declares a busy worker stuck within watchdogMs + one tick when it stops answering', async () => {
    const r = watch();
    r.calls.inFlight = 1;
    await pass(7_000);
    r.worker.settle();
    r.worker.spinning = true;
    const t0 = Date.now();
    await pass(3 * WD);
    expect(r.stuckAt).not.toBeNull();
    expect(r.stuckAt! - t0).toBeLessThanOrEqual(WD + TICK);
  });

  it('declares a worker stuck after 2 × watchdogMs without a pong even if its loop looks idle', async () => {
    const r = watch();
    r.calls.inFlight = 1; // so it is pinged
    await pass(3_000);
    r.worker.deaf = true;
    const t0 = Date.now();
    await pass(4 * WD);
    expect(r.stuckAt).not.toBeNull();
    expect(r.stuckAt! - t0).toBeLessThanOrEqual(2 * WD + TICK);
    expect(r.stuckAt! - t0).toBeGreaterThanOrEqual(2 * WD - TICK);
  });

  it('does not judge a worker on the tick after the main thread stalled', async () => {
    const r = watch();
    r.calls.inFlight = 1;
    await pass(3_000);
    // The main thread blocks for 3 × watchdogMs: no tick runs, the worker's pongs wait unread.
    r.worker.settle();
    r.worker.spinning = true;
    vi.setSystemTime(Date.now() + 3 * WD);
    r.worker.settle();
    r.worker.spinning = false;
    await pass(2 * WD);
    expect(r.stuckAt).toBeNull();
  });

  it('reports a soft heap breach carried by a pong', async () => {
    const r = watch();
    r.calls.inFlight = 1;
    await pass(2 * TICK);
    expect(r.softHeap).toEqual([]);
    r.worker.heapUsed = 120 * 1024 * 1024;
    await pass(2 * TICK);
    expect(r.softHeap).toHaveLength(1);
    expect(r.softHeap[0]).toContain('120 MB > soft limit 100 MB');
  });

  it('runs every watchdog of the same period off one timer, gone with the last one', async () => {
    const many = Array.from({ length: 50 }, () => watch());
    expect(vi.getTimerCount()).toBe(1);
    many[0]!.calls.inFlight = 1;
    await pass(3_000);
    expect(many[0]!.worker.pings).toBeGreaterThanOrEqual(2);
    for (const r of many) r.dog.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
