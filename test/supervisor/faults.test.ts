// Crash isolation: each injected fault kills only the faulted user's worker. Its in-flight calls
// are rejected with GW_SESSION_CRASHED (carrying the classified reason), another user's
// concurrent calls all succeed, and the faulted session comes back and answers.

import { afterAll, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/protocol.ts';
import type { ExitReason } from '../../src/errors.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle, until } from './harness.ts';

afterAll(disposeAll);

const WATCHDOG_MS = 500;

const cases: Array<{ kind: FaultKind; reason: ExitReason | ExitReason[]; boundMs: number }> = [
  { kind: 'throw', reason: 'exception', boundMs: 1000 },
  { kind: 'reject', reason: 'unhandled_rejection', boundMs: 1000 },
  { kind: 'exit', reason: 'exit', boundMs: 1000 },
  // A spinning worker answers nothing: the watchdog bound is watchdogMs (+ up to one tick, and
  // at most 2 × watchdogMs when the ELU sample lags).
  { kind: 'loop', reason: 'watchdog', boundMs: 2 * WATCHDOG_MS + 1000 },
  // Either the soft heap watchdog or V8's ERR_WORKER_OUT_OF_MEMORY gets there first: both are oom.
  { kind: 'oom', reason: 'oom', boundMs: 1000 },
];

describe('fault injection', () => {
  for (const { kind, reason, boundMs } of cases) {
    it(`rejects every in-flight call within ${boundMs} ms when the worker faults with '${kind}', leaves another user untouched, and recovers`, async () => {
      const { supervisor } = makeSupervisor({ watchdogMs: WATCHDOG_MS, callTimeoutMs: 20_000 });
      const a = fakeClient(`a-${kind}`);
      const b = fakeClient(`b-${kind}`);
      await Promise.all([supervisor.login(a, 'op'), supervisor.login(b, 'op')]);
      const aInfo = (await supervisor.call(a, 'Info', [], 'op')) as { threadId: number; opens: number };
      const bInfo = (await supervisor.call(b, 'Info', [], 'op')) as { threadId: number };

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
      await until(() => supervisor.get(a.principal.userID, 5)!.inFlight === 3, 5000, 'calls in flight');
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
      await until(() => supervisor.get(a.principal.userID, 5)!.state === 'ready', 10_000, 'ready again');
      const after = (await supervisor.call(a, 'Info', [], 'op')) as { threadId: number; opens: number };
      expect(after.threadId).not.toBe(aInfo.threadId);
      expect(after.opens).toBe(aInfo.opens + 1); // same data dir, reopened
      const info = supervisor.get(a.principal.userID, 5)!;
      if (process.env.SHOW) console.log(kind, outcomes.map((o) => o.at - faultedAt), info.lastExit);
      expect(info.restarts).toBe(1);
      expect([reason].flat()).toContain(info.lastExit?.reason);

      bStop = true;
      await bLoop;
      const bOutcomes = await Promise.all(bResults.map((p) => settle(p)));
      expect(bOutcomes.length).toBeGreaterThan(5);
      expect(bOutcomes.every((o) => o.ok)).toBe(true);
      expect(((await supervisor.call(b, 'Info', [], 'op')) as { threadId: number }).threadId).toBe(bInfo.threadId);
      expect(b.names()).not.toContain('OnConnectFailed');
      expect(b.names().filter((n) => n === 'OnConnecting')).toHaveLength(1); // its own login only
    });
  }

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
