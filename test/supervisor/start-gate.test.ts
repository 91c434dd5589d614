// Admission of session starts: about one per CPU at a time, the rest in arrival order, and a
// bounded wait answered with a retryable code, so a login storm slows down instead of collapsing.

import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartGate } from '../../src/supervisor/start-gate.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

describe('StartGate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs `slots` starts at once and grants the rest in arrival order', async () => {
    const gate = new StartGate({ slots: 2, maxWaitMs: 10_000 });
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const all = [0, 1, 2, 3, 4].map((i) =>
      gate.acquire().then((release) => {
        order.push(i);
        releases.push(release);
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1]);
    expect([gate.running, gate.queued]).toEqual([2, 3]);
    releases[1]!();
    releases[1]!(); // idempotent
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1, 2]);
    releases[0]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1, 2, 3]);
    releases[2]!();
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses at once, retryable, a login whose wait would pass the bound', async () => {
    const gate = new StartGate({ slots: 1, maxWaitMs: 1_000, initialStartMs: 400 });
    await gate.acquire(); // running
    const queued = [gate.acquire(), gate.acquire()]; // 400 and 800 ms of expected wait
    const refused = await settle(gate.acquire()); // 1200 ms > 1000
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.errorName).toBe('GW_LOGIN_QUEUE_FULL');
      expect(refused.error.code).toBe(20019);
      expect(refused.error.retryable).toBe(true);
      expect(refused.error.detail.retryAfterMs).toBeGreaterThan(0);
      expect(refused.error.message).toContain(`retry after ${refused.error.detail.retryAfterMs} ms`);
    }
    expect(gate.queued).toBe(2);
    void queued;
  });

  it('refuses a login that still waits when the bound runs out', async () => {
    const gate = new StartGate({ slots: 1, maxWaitMs: 1_000, initialStartMs: 100 });
    const first = await gate.acquire();
    const waiting = settle(gate.acquire());
    await vi.advanceTimersByTimeAsync(999);
    expect(gate.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const r = await waiting;
    expect(!r.ok && r.error.errorName).toBe('GW_LOGIN_QUEUE_FULL');
    expect(gate.queued).toBe(0);
    first();
    expect(gate.running).toBe(0);
  });

  it('learns how long a start takes', async () => {
    const gate = new StartGate({ slots: 1, maxWaitMs: 60_000, initialStartMs: 100 });
    for (let i = 0; i < 20; i++) {
      const release = await gate.acquire();
      await vi.advanceTimersByTimeAsync(1_000);
      release();
    }
    expect(gate.averageStartMs).toBeGreaterThan(900);
  });
});

describe('login storm through the supervisor', () => {
  afterAll(disposeAll);

  it('starts one session at a time with one slot, answers every login, in arrival order', async () => {
    const { supervisor } = makeSupervisor({}, { startSlots: 1 });
    const clients = Array.from({ length: 6 }, (_, i) => fakeClient(`storm${i}`, 5, `slow:storm${i}`));
    let maxStarting = 0;
    const poll = setInterval(() => {
      maxStarting = Math.max(maxStarting, supervisor.list().filter((s) => s.state === 'starting').length);
    }, 5);
    const done: string[] = [];
    try {
      await Promise.all(clients.map((c) => supervisor.login(c, 'op').then(() => done.push(c.principal.userID))));
    } finally {
      clearInterval(poll);
    }
    expect(maxStarting).toBe(1);
    expect(done).toEqual(clients.map((c) => c.principal.userID));
    // A second tab of a running session attaches without waiting for a slot.
    const tab = fakeClient('storm0', 5, 'slow:storm0');
    await supervisor.login(tab, 'op');
    expect(supervisor.get('storm0', 5)!.connections).toBe(2);
  });

  it('refuses the logins past the bound with GW_LOGIN_QUEUE_FULL and serves the others', async () => {
    // One slot, a 3 s wait bound (start timeout 6 s), starts of ~300 ms or more: 30 logins
    // cannot all start within the bound.
    const { supervisor } = makeSupervisor({ startTimeoutMs: 6_000 }, { startSlots: 1 });
    const clients = Array.from({ length: 30 }, (_, i) => fakeClient(`flood${i}`, 5, `slow:flood${i}`));
    const t0 = Date.now();
    const outcomes = await Promise.all(clients.map((c) => settle(supervisor.login(c, 'op'))));
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(!r.ok && r.error.errorName).toBe('GW_LOGIN_QUEUE_FULL');
      expect(r.at - t0).toBeLessThan(3_000 + 2_000); // at once, or when the bound ran out (hang bound)
    }
    // The queue's tail was refused at once, without waiting for the bound.
    expect(refused.some((r) => r.at - t0 < 1_000)).toBe(true);
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThanOrEqual(2);
    expect(supervisor.list().filter((s) => s.state === 'ready')).toHaveLength(outcomes.filter((o) => o.ok).length);
  });
});
