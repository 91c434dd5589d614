// --chaos: the seeded schedule and the containment verdict. The judge is tested against fake
// sessions first (fast, and able to fail containment on purpose), then against a real
// supervisor with every session in its own process, where every fault must be contained.

import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayError, isGatewayError, type ExitReason } from '../../src/errors.ts';
import { resolveOptions, type GatewayOptions } from '../../src/options.ts';
import type { FaultKind } from '../../src/protocol.ts';
import { CallLedger } from '../../src/supervisor/call-ledger.ts';
import { Chaos, type ChaosTarget } from '../../src/supervisor/chaos.ts';
import { sessionKey } from '../../src/supervisor/registry.ts';
import type { SessionState } from '../../src/supervisor/types.ts';
import { fakeClient, type FakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor } from './harness.ts';

afterAll(disposeAll);

const quiet = pino({ level: 'silent' });

/** A session that "crashes" on any fault: its calls fail, it restarts 30 ms later. */
class FakeTarget implements ChaosTarget {
  readonly platformID = 5;
  isolation: 'thread' | 'process' = 'process';
  state: SessionState = 'ready';
  restarts = 0;
  lastExit: { reason: ExitReason; detail: string } | null = null;
  readonly faults: FaultKind[] = [];
  readonly userID: string;
  readonly ledger: CallLedger;
  readonly #inFlight = new Set<(e: Error) => void>();

  constructor(userID: string, ledger: CallLedger) {
    this.userID = userID;
    this.ledger = ledger;
  }

  info() {
    return { restarts: this.restarts, lastExit: this.lastExit };
  }

  /** A client call: answered after `ms`, unless the session crashes first. */
  call(ms: number): Promise<unknown> {
    const p = new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#inFlight.delete(fail);
        resolve('ok');
      }, ms);
      const fail = (e: Error): void => {
        clearTimeout(t);
        reject(e);
      };
      this.#inFlight.add(fail);
    });
    return this.ledger.track(sessionKey(this.userID, this.platformID), p).catch(() => {});
  }

  fault(kind: FaultKind): boolean {
    this.faults.push(kind);
    this.state = 'crashed';
    for (const f of this.#inFlight) f(gatewayError('GW_SESSION_CRASHED'));
    this.#inFlight.clear();
    setTimeout(() => {
      this.restarts++;
      this.lastExit = { reason: 'native_crash', detail: kind };
      this.state = 'ready';
    }, 30);
    return true;
  }
}

function chaosOptions(extra: Partial<Record<keyof GatewayOptions, unknown>>): GatewayOptions {
  return resolveOptions([], {}, {
    faultInjection: true, chaos: true, isolation: 'process', chaosIntervalMs: 100, watchdogMs: 500,
    restartBackoffMs: 20, restartBackoffMaxMs: 100, startTimeoutMs: 2_000, callTimeoutMs: 2_000, ...extra,
  });
}

/** Run a chaos schedule over fake sessions that keep calling, until `n` faults are judged. */
async function runFake(seed: number, n: number, opts: { failNeighbourOf?: string; isolation?: 'thread' } = {}) {
  const ledger = new CallLedger();
  const targets = ['u1', 'u2', 'u3', 'u4'].map((u) => new FakeTarget(u, ledger));
  if (opts.isolation) for (const t of targets) t.isolation = opts.isolation;
  const chaos = new Chaos({ options: chaosOptions({ chaosSeed: seed, chaosKinds: ['abort', 'segfault', 'sigkill', 'throw', 'loop'] }), sessions: () => targets, ledger, log: quiet, burnMs: 300 });
  let stop = false;
  const loops = targets.map(async (t) => {
    while (!stop) {
      if (t.state === 'ready') await t.call(5);
      else await new Promise((r) => setTimeout(r, 5));
      if (opts.failNeighbourOf && t.userID !== opts.failNeighbourOf && targets.find((x) => x.userID === opts.failNeighbourOf)!.state !== 'ready') {
        // A neighbour's call the gateway does not answer while the victim is down.
        await ledger.track(sessionKey(t.userID, 5), Promise.reject(gatewayError('GW_CALL_TIMEOUT'))).catch(() => {});
      }
    }
  });
  chaos.start();
  await expect.poll(() => (chaos.report().faults?.length ?? 0) >= n, { timeout: 20_000, message: `${n} judged faults` }).toBe(true);
  await chaos.stop();
  stop = true;
  await Promise.all(loops);
  return { report: chaos.report(), targets };
}

describe('chaos schedule and verdict (fake sessions)', () => {
  it('draws the same faults into the same sessions from the same seed, and judges each contained', async () => {
    const one = await runFake(1234, 5);
    const two = await runFake(1234, 5);
    const seq = (r: typeof one.report) => r.faults!.slice(0, 5).map((f) => `${f.userID}:${f.kind}`);
    expect(seq(two.report)).toEqual(seq(one.report));
    expect(one.report.seed).toBe(1234);
    for (const f of one.report.faults!) {
      expect(f.contained, f.why.join('; ')).toBe(true);
      expect(f.victim.back).toBe(true);
      expect(f.others.sessions).toBe(3);
      expect(f.others.calls).toBeGreaterThan(0);
      expect(f.others.failed).toBe(0);
      expect(f.exit).toMatchObject({ reason: 'native_crash', detail: f.kind });
    }
    // A different seed, a different schedule.
    const other = await runFake(99, 5);
    expect(seq(other.report)).not.toEqual(seq(one.report));
  });

  it('says NOT contained, and why, when another session\'s call goes unanswered during a fault', async () => {
    const { report } = await runFake(7, 3, { failNeighbourOf: 'u1' });
    const hitU1 = report.faults!.filter((f) => f.userID === 'u1');
    const hitOthers = report.faults!.filter((f) => f.userID !== 'u1');
    for (const f of hitOthers) expect(f.contained).toBe(true);
    // Seed 7 hits u1 among its first three faults (the schedule is fixed by the seed).
    expect(hitU1.length).toBeGreaterThan(0);
    for (const f of hitU1) {
      expect(f.contained).toBe(false);
      expect(f.others.failedBy.GW_CALL_TIMEOUT).toBeGreaterThan(0);
      expect(f.why.join(' ')).toMatch(/calls of other sessions were not answered/);
    }
    expect(report.notContained).toBe(hitU1.length);
  });

  it('only gives a session in a thread the kinds a thread contains', async () => {
    const { report } = await runFake(5, 6, { isolation: 'thread' });
    expect(new Set(report.faults!.map((f) => f.kind))).toEqual(new Set(['throw', 'loop']));
  });
});

describe('--chaos options', () => {
  it('is refused without --fault-injection, and with kinds a thread cannot contain', () => {
    const refused = (argv: string[]) => {
      try {
        resolveOptions(argv);
      } catch (e) {
        expect(isGatewayError(e, 'GW_OPTIONS_INVALID')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected GW_OPTIONS_INVALID');
    };
    expect(refused(['--chaos'])).toMatch(/--chaos needs --fault-injection/);
    expect(refused(['--chaos', '--fault-injection', '--chaos-kinds', 'abort,sigkill'])).toMatch(/use --isolation process/);
    expect(refused(['--chaos', '--fault-injection', '--chaos-kinds', 'nuke'])).toMatch(/unknown fault kind `nuke`/);
    expect(resolveOptions(['--chaos', '--fault-injection', '--isolation', 'process', '--chaos-kinds', 'abort,sigkill']).chaosKinds).toEqual(['abort', 'sigkill']);
  });
});

/** Each client keeps one call in flight at a time (a short Sleep), as a busy tab would. */
function keepCalling(supervisor: ReturnType<typeof makeSupervisor>['supervisor'], clients: FakeClient[]): { stop: () => Promise<Map<string, number>> } {
  let stopped = false;
  const failures = new Map<string, number>();
  const loops = clients.map(async (c) => {
    while (!stopped) {
      try {
        await supervisor.call(c, 'Sleep', [20], 'op');
      } catch {
        failures.set(c.principal.userID, (failures.get(c.principal.userID) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return failures;
    },
  };
}

describe('chaos against real session processes', () => {
  it('contains every fault it injects: victims rejected in time and back, every other call answered', { timeout: 60_000 }, async () => {
    const h = makeSupervisor({
      isolation: 'process', chaos: true, chaosSeed: 4242, chaosIntervalMs: 300, watchdogMs: 500,
      chaosKinds: ['throw', 'exit', 'abort', 'segfault', 'sigkill', 'fd-exhaustion', 'loop'],
      restartIntensity: 1000, restartBackoffMs: 20, restartBackoffMaxMs: 50, sessionOpenFiles: 256,
    });
    const clients = ['c1', 'c2', 'c3'].map((u) => fakeClient(u));
    await Promise.all(clients.map((c) => h.supervisor.login(c, 'op')));
    const load = keepCalling(h.supervisor, clients);
    await expect.poll(() => (h.supervisor.chaosReport().faults?.length ?? 0) >= 6, { timeout: 45_000, message: 'six judged faults' }).toBe(true);
    const failures = await load.stop();
    // Every fault injected while the clients were calling is judged before we look.
    const injected = h.supervisor.chaosReport().injected!;
    await expect.poll(() => h.supervisor.chaosReport().faults!.length >= injected, { timeout: 15_000, message: 'the last fault judged' }).toBe(true);
    const report = { ...h.supervisor.chaosReport(), faults: h.supervisor.chaosReport().faults!.slice(0, injected) };
    if (process.env.SHOW) console.log(JSON.stringify(report, null, 1));
    expect(report).toMatchObject({ enabled: true, seed: 4242 });
    for (const f of report.faults) {
      expect(f.contained, `${f.kind} on ${f.userID}: ${f.why.join('; ')}`).toBe(true);
      expect(f.exit).not.toBeNull();
      expect(f.others.sessions).toBe(2);
      expect(f.others.calls).toBeGreaterThan(0);
    }
    expect(report.notContained).toBe(0);
    // The clients' own view agrees: only a session that was a victim ever saw a failed call.
    const victims = new Set(report.faults.map((f) => f.userID));
    for (const [user, n] of failures) expect(victims.has(user), `${user} failed ${n} calls but was never a victim`).toBe(true);
  });
});
