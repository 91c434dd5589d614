// Crash isolation: each injected fault kills only the faulted user's worker (thread) or process.
// Its in-flight calls are rejected with GW_SESSION_CRASHED (carrying the classified reason),
// another user's concurrent calls all succeed, and the faulted session comes back and answers.
// A process contains every kind; a thread is refused the kinds that would end the gateway.

import { afterAll, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/protocol.ts';
import type { ExitReason } from '../../src/errors.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

const WATCHDOG_MS = 500;

type Case = { kind: FaultKind; reason: ExitReason | ExitReason[]; boundMs: number };
const jsCases: Case[] = [
  { kind: 'throw', reason: 'exception', boundMs: 1000 },
  { kind: 'reject', reason: 'unhandled_rejection', boundMs: 1000 },
  { kind: 'exit', reason: 'exit', boundMs: 1000 },
  // A spinning worker answers nothing: the watchdog bound is watchdogMs (+ up to one tick, and
  // at most 2 × watchdogMs when the ELU sample lags).
  { kind: 'loop', reason: 'watchdog', boundMs: 2 * WATCHDOG_MS + 1000 },
  // Either the soft heap watchdog (a drain of up to 500 ms first) or V8's out-of-memory gets
  // there first: both are oom. A process's V8 OOM ends in an abort after GC thrash; generous,
  // since the machine is shared (these bound hangs, they do not time the supervisor).
  { kind: 'oom', reason: 'oom', boundMs: 3000 },
];
const nativeCases: Case[] = [
  { kind: 'abort', reason: 'native_crash', boundMs: 1000 },
  { kind: 'segfault', reason: 'native_crash', boundMs: 1000 },
  { kind: 'sigkill', reason: 'killed', boundMs: 1000 },
  // The fd table fills in milliseconds; the gateway counts open fds every 500 ms.
  { kind: 'fd-exhaustion', reason: 'fd_limit', boundMs: 2000 },
];

type Info = { threadId: number; pid: number; opens: number };

describe.each([
  { isolation: 'thread' as const, cases: jsCases },
  { isolation: 'process' as const, cases: [...jsCases, ...nativeCases] },
])('fault injection, --isolation $isolation', ({ isolation, cases }) => {
  // The host of the core: a thread id, or a pid (every session process's main thread is 0).
  const hostOf = (i: Info): number => (isolation === 'process' ? i.pid : i.threadId);
  for (const { kind, reason, boundMs } of cases) {
    it(`rejects every in-flight call within ${boundMs} ms when the worker faults with '${kind}', leaves another user untouched, and recovers`, async () => {
      const { supervisor } = makeSupervisor({ watchdogMs: WATCHDOG_MS, callTimeoutMs: 20_000, isolation });
      const a = fakeClient(`a-${kind}`);
      const b = fakeClient(`b-${kind}`);
      await Promise.all([supervisor.login(a, 'op'), supervisor.login(b, 'op')]);
      const aInfo = (await supervisor.call(a, 'Info', [], 'op')) as Info;
      const bInfo = (await supervisor.call(b, 'Info', [], 'op')) as Info;

      const inFlight = [1, 2, 3].map(() => settle(supervisor.call(a, 'Sleep', [15_000], 'op')));
      // B keeps calling through the whole episode.
      let bStop = false;
      const bResults: Array<Promise<unknown>> = [];
      const bLoop = (async () => {
        while (!bStop) {
          const p = supervisor.call(b, 'Echo', ['b'], 'op');
          bResults.push(p);
          await p.catch(() => {});
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await expect.poll(() => supervisor.get(a.principal.userID, 5)!.inFlight === 3, { timeout: 5000, message: 'calls in flight' }).toBe(true);
      const eventsBefore = a.events.length;

      const faultedAt = Date.now();
      expect(supervisor.fault(a.principal.userID, 5, kind)).toBe(true);
      const outcomes = await Promise.all(inFlight);
      for (const o of outcomes) {
        expect(o.ok).toBe(false);
        if (o.ok) continue;
        expect(o.error.errorName).toBe('GW_SESSION_CRASHED');
        expect(o.error.code).toBe(20009);
        expect([reason].flat()).toContain(o.error.detail.reason);
        expect(typeof o.error.detail.restartInMs).toBe('number');
        expect(o.at - faultedAt).toBeLessThan(boundMs);
      }

      // Clients saw the outage, then the restarted core's own events.
      const connecting = await a.waitFor('OnConnecting', 5000, eventsBefore);
      expect(connecting.data).toBe('');
      await a.waitFor('OnConnectSuccess', 10_000, eventsBefore);
      await expect.poll(() => supervisor.get(a.principal.userID, 5)!.state === 'ready', { timeout: 10_000, message: 'ready again' }).toBe(true);
      const after = (await supervisor.call(a, 'Info', [], 'op')) as Info;
      expect(hostOf(after)).not.toBe(hostOf(aInfo));
      expect(after.opens).toBe(aInfo.opens + 1); // same data dir, reopened
      const info = supervisor.get(a.principal.userID, 5)!;
      if (process.env.SHOW) console.log(kind, outcomes.map((o) => o.at - faultedAt), info.lastExit);
      expect(info.restarts).toBe(1);
      expect([reason].flat()).toContain(info.lastExit?.reason);

      // B's loop ran beside the whole episode; let it make a few calls more if a fast restart left it few.
      await expect.poll(() => bResults.length, { timeout: 10_000, message: 'B keeps calling' }).toBeGreaterThan(5);
      bStop = true;
      await bLoop;
      const bOutcomes = await Promise.all(bResults.map((p) => settle(p)));
      expect(bOutcomes.length).toBeGreaterThan(5);
      expect(bOutcomes.every((o) => o.ok)).toBe(true);
      expect(hostOf((await supervisor.call(b, 'Info', [], 'op')) as Info)).toBe(hostOf(bInfo));
      expect(b.names()).not.toContain('OnConnectFailed');
      expect(b.names().filter((n) => n === 'OnConnecting')).toHaveLength(1); // its own login only
    });
  }

  it("keeps a 'cpu-burn' session busy but answering: the watchdog does not fire, nothing fails", async () => {
    const { supervisor } = makeSupervisor({ watchdogMs: WATCHDOG_MS, callTimeoutMs: 20_000, isolation });
    const a = fakeClient('burn-a');
    const b = fakeClient('burn-b');
    await Promise.all([supervisor.login(a, 'op'), supervisor.login(b, 'op')]);
    const before = hostOf((await supervisor.call(a, 'Info', [], 'op')) as Info);
    expect(supervisor.fault('burn-a', 5, 'cpu-burn')).toBe(true);
    // Four watchdog periods into the burn, A and B both keep answering.
    const end = Date.now() + 4 * WATCHDOG_MS;
    const calls: Array<Promise<unknown>> = [];
    while (Date.now() < end) {
      calls.push(supervisor.call(a, 'Echo', ['a'], 'op'), supervisor.call(b, 'Echo', ['b'], 'op'));
      await new Promise((r) => setTimeout(r, 50));
    }
    const outcomes = await Promise.all(calls.map((p) => settle(p)));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const info = supervisor.get('burn-a', 5)!;
    expect(info.restarts).toBe(0);
    expect(info.state).toBe('ready');
    expect(hostOf((await supervisor.call(a, 'Info', [], 'op')) as Info)).toBe(before);
  });

});

describe('fault injection', () => {
  it.each(nativeCases.map((c) => c.kind))("refuses '%s' for a session in a thread (GW_FAULT_NEEDS_PROCESS) and leaves it alone", async (kind) => {
    const { supervisor } = makeSupervisor({ isolation: 'thread' });
    const a = fakeClient(`refused-${kind}`);
    await supervisor.login(a, 'op');
    let err: unknown;
    try {
      supervisor.fault(a.principal.userID, 5, kind);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ errorName: 'GW_FAULT_NEEDS_PROCESS', code: 20055, message: expect.stringMatching(/--isolation process/) });
    expect(await supervisor.call(a, 'Echo', [1], 'op')).toEqual([1]);
    expect(supervisor.get(a.principal.userID, 5)!.restarts).toBe(0);
  });

  it('carries a deeply nested result to the main thread without killing the session', async () => {
    const { supervisor } = makeSupervisor();
    const a = fakeClient('deep');
    await supervisor.login(a, 'op');
    let v = (await supervisor.call(a, 'Deep', [5000], 'op')) as unknown[];
    let depth = 0;
    while (Array.isArray(v) && v.length === 1) {
      v = v[0] as unknown[];
      depth++;
    }
    expect(depth).toBe(5000);
    expect(supervisor.get('deep', 5)!.restarts).toBe(0);
    expect(await supervisor.call(a, 'Echo', ['still here'], 'op')).toEqual(['still here']);
  });

  it('refuses to inject a fault when fault injection is off', async () => {
    const { supervisor } = makeSupervisor({ faultInjection: false });
    const a = fakeClient('a-off');
    await supervisor.login(a, 'op');
    expect(supervisor.fault('a-off', 5, 'throw')).toBe(false);
    expect(supervisor.fault('nobody', 5, 'throw')).toBe(false);
    expect(await supervisor.call(a, 'Echo', [1], 'op')).toEqual([1]);
    expect(supervisor.get('a-off', 5)!.restarts).toBe(0);
  });
});
