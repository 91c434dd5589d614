// `--chaos` (with --fault-injection): a seeded schedule injects faults of the chosen kinds into
// randomly chosen ready sessions, about one every --chaos-interval-ms, and judges each one. The
// report (GET /admin/chaos) is the product for crash-isolation testers, so it counts from the
// gateway's own record of the calls its clients made (call-ledger.ts), never from probes:
//
//   victim   every call it had in flight when the fault hit settled (answered, or rejected with
//            a typed error) within victimSettleMs, and the session is ready again (restarted, or
//            for cpu-burn never down) within victimBackMs;
//   others   every call of every other session that was in flight at the fault or began before
//            the victim was back was answered: resolved, or answered by the core. A gateway
//            error that means "no answer" (crashed, restarting, timeout, busy, internal, ...)
//            counts against containment, whatever its cause.
//
// One fault is judged before the next is injected, so windows never overlap and a session is
// never both a victim and a neighbour. The schedule (delays, kind draws, victim draws) follows
// from the seed; which session a draw picks depends on who is logged in at that moment.

import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExitReason } from '../errors.ts';
import type { GatewayOptions } from '../options.ts';
import type { FaultKind } from '../protocol.ts';
import { unanswered, type CallLedger, type CallRecord } from './call-ledger.ts';
import { contains, FAULT_KINDS } from './faults.ts';
import type { Isolation } from './host.ts';
import { sessionKey } from './registry.ts';
import type { ChaosFault, ChaosReport, SessionState } from './types.ts';

/** What chaos needs of a session (session.ts Session). */
export interface ChaosTarget {
  readonly userID: string;
  readonly platformID: number;
  readonly isolation: Isolation;
  readonly state: SessionState;
  info(): { readonly restarts: number; readonly lastExit: { readonly reason: ExitReason; readonly detail: string } | null };
  fault(kind: FaultKind): boolean;
}

export interface ChaosDeps {
  readonly options: GatewayOptions;
  readonly sessions: () => readonly ChaosTarget[];
  readonly ledger: CallLedger;
  readonly log: Logger;
  /** How long cpu-burn runs (CPU_BURN_MS in src/protocol.ts; workers/faults.ts burns it). */
  readonly burnMs: number;
}

const MAX_KEPT = 500;
const POLL_MS = 10;

/** mulberry32: a small seeded PRNG, good enough to draw a schedule from. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export class Chaos {
  readonly seed: number;
  readonly #d: ChaosDeps;
  readonly #kinds: readonly FaultKind[];
  readonly #rand: () => number;
  readonly #victimSettleMs: number;
  readonly #victimBackMs: number;
  readonly #faults: ChaosFault[] = [];
  readonly #skipped: Record<string, number> = {};
  #injected = 0;
  #contained = 0;
  #judged = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;

  constructor(deps: ChaosDeps) {
    this.#d = deps;
    const o = deps.options;
    this.seed = o.chaosSeed || randomInt(1, 2_147_483_647);
    this.#rand = prng(this.seed);
    this.#kinds = (o.chaosKinds.length ? o.chaosKinds : FAULT_KINDS) as readonly FaultKind[];
    // A stuck loop takes up to 2 watchdog periods to detect; a burn runs its course.
    this.#victimSettleMs = 2 * o.watchdogMs + 1000;
    this.#victimBackMs = this.#victimSettleMs + o.restartBackoffMaxMs + o.startTimeoutMs;
  }

  start(): void {
    this.#d.log.warn({ seed: this.seed, kinds: this.#kinds, intervalMs: this.#d.options.chaosIntervalMs }, 'chaos: injecting faults');
    this.#schedule();
  }

  /** No new faults; resolves once the one being judged (if any) is judged. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  report(): ChaosReport {
    return {
      enabled: true,
      seed: this.seed,
      kinds: this.#kinds,
      intervalMs: this.#d.options.chaosIntervalMs,
      bounds: { victimSettleMs: this.#victimSettleMs, victimBackMs: this.#victimBackMs },
      injected: this.#injected,
      contained: this.#contained,
      notContained: this.#judged - this.#contained,
      skipped: { ...this.#skipped },
      faults: [...this.#faults],
    };
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = Math.round(this.#d.options.chaosIntervalMs * (0.5 + this.#rand()));
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().catch((err: unknown) => this.#d.log.error({ err }, 'chaos: tick failed'));
      void this.#running.finally(() => {
        this.#running = null;
        this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    // Both draws every tick, used or not, so the schedule does not depend on who is logged in.
    const victimDraw = this.#rand();
    const kindDraw = this.#rand();
    if (this.#stopped) return;
    const ready = this.#d.sessions().filter((s) => s.state === 'ready');
    ready.sort((a, b) => (sessionKey(a.userID, a.platformID) < sessionKey(b.userID, b.platformID) ? -1 : 1));
    if (ready.length === 0) return count(this.#skipped, 'no_ready_session');
    const victim = ready[Math.floor(victimDraw * ready.length)]!;
    const kinds = this.#kinds.filter((k) => contains(victim.isolation, k));
    if (kinds.length === 0) return count(this.#skipped, 'no_kind_for_isolation');
    const kind = kinds[Math.floor(kindDraw * kinds.length)]!;
    await this.#inject(victim, kind);
  }

  async #inject(victim: ChaosTarget, kind: FaultKind): Promise<void> {
    const { ledger } = this.#d;
    const key = sessionKey(victim.userID, victim.platformID);
    const restartsBefore = victim.info().restarts;
    const victimCalls = ledger.inFlight(key);
    const otherCalls = new Set(ledger.inFlight().filter((r) => r.key !== key));
    const stopWatching = ledger.onBegin((r) => {
      if (r.key !== key) otherCalls.add(r);
    });
    const t0 = Date.now();
    let injected: boolean;
    try {
      injected = victim.fault(kind);
    } catch (err) {
      injected = false;
      this.#d.log.error({ err, kind }, 'chaos: fault refused');
    }
    if (!injected) {
      stopWatching();
      return count(this.#skipped, 'not_running');
    }
    this.#injected++;
    const seq = this.#injected;
    this.#d.log.warn({ seq, kind, userID: victim.userID, platformID: victim.platformID }, 'chaos: fault injected');

    // The victim is back when it restarted and is ready; a burn is over when its time is up.
    const burn = kind === 'cpu-burn';
    const backBy = t0 + (burn ? this.#d.burnMs + this.#victimSettleMs : this.#victimBackMs);
    let backAt: number | null = null;
    const burnEnds = t0 + this.#d.burnMs;
    while (Date.now() < backBy) {
      const restarted = victim.info().restarts > restartsBefore;
      if (victim.state === 'ready' && (restarted || (burn && Date.now() >= burnEnds))) {
        backAt = Date.now();
        break;
      }
      if (victim.state === 'quarantined' || victim.state === 'stopped' || this.#stopped) break;
      await sleep(POLL_MS);
    }
    stopWatching();
    const windowEnd = backAt ?? Date.now();
    const others = [...otherCalls].filter((r) => r.at <= windowEnd);
    // Let what the clients started settle (every call has its deadline; give it that long).
    await this.#settled([...others, ...victimCalls], this.#d.options.callTimeoutMs + 1000);

    const fault = this.#judge({ seq, t0, kind, victim, victimCalls, others, backAt, restartsBefore });
    this.#judged++;
    if (fault.contained) this.#contained++;
    this.#faults.push(fault);
    if (this.#faults.length > MAX_KEPT) this.#faults.shift();
    const line = { seq, kind, userID: victim.userID, contained: fault.contained, why: fault.why };
    if (fault.contained) this.#d.log.info(line, 'chaos: fault judged');
    else this.#d.log.error(line, 'chaos: fault NOT contained');
  }

  async #settled(calls: readonly CallRecord[], boundMs: number): Promise<void> {
    const until = Date.now() + boundMs;
    while (calls.some((c) => c.settledAt === null) && Date.now() < until && !this.#stopped) await sleep(POLL_MS);
  }

  #judge(f: {
    seq: number; t0: number; kind: FaultKind; victim: ChaosTarget; victimCalls: readonly CallRecord[];
    others: readonly CallRecord[]; backAt: number | null; restartsBefore: number;
  }): ChaosFault {
    const why: string[] = [];
    const info = f.victim.info();
    const crashed = info.restarts > f.restartsBefore;
    // A burn that no limit ended only slows its calls; one ended by RLIMIT_CPU is judged as a crash.
    const burn = f.kind === 'cpu-burn' && !crashed;
    if (f.kind === 'cpu-burn' && crashed && info.lastExit?.reason === 'watchdog') why.push('the watchdog killed a busy (not stuck) session');
    const rejectedBy: Record<string, number> = {};
    let answered = 0;
    let late = 0;
    let maxSettleMs: number | null = null;
    for (const c of f.victimCalls) {
      const settleMs = c.settledAt === null ? null : c.settledAt - Math.max(c.at, f.t0);
      // A crash must reject its calls promptly; a burn only slows them (each has its deadline).
      if (settleMs === null || (!burn && settleMs > this.#victimSettleMs)) late++;
      if (settleMs !== null) maxSettleMs = Math.max(maxSettleMs ?? 0, settleMs);
      if (c.outcome === 'ok' || c.outcome === 'core') answered++;
      else if (c.outcome) count(rejectedBy, c.outcome);
    }
    const rejected = Object.values(rejectedBy).reduce((a, b) => a + b, 0);
    if (late > 0) why.push(`${late} of the victim's ${f.victimCalls.length} in-flight calls unsettled after ${burn ? 'their deadline' : `${this.#victimSettleMs} ms`}`);
    if (burn && rejected > 0) why.push(`a busy (not crashed) victim failed ${rejected} of its in-flight calls`);
    if (f.backAt === null) why.push(`the victim was not ready again within the bound (state ${f.victim.state})`);
    const failedBy: Record<string, number> = {};
    let othersAnswered = 0;
    for (const c of f.others) {
      if (c.outcome === null) count(failedBy, 'unanswered');
      else if (unanswered(c.outcome)) count(failedBy, c.outcome);
      else othersAnswered++;
    }
    const failed = f.others.length - othersAnswered;
    if (failed > 0) why.push(`${failed} of ${f.others.length} calls of other sessions were not answered (${Object.entries(failedBy).map(([k, v]) => `${k} ×${v}`).join(', ')})`);
    return {
      seq: f.seq,
      at: new Date(f.t0).toISOString(),
      kind: f.kind,
      userID: f.victim.userID,
      platformID: f.victim.platformID,
      isolation: f.victim.isolation,
      exit: crashed ? info.lastExit : null,
      victim: {
        inFlight: f.victimCalls.length,
        answered,
        rejected,
        rejectedBy,
        late,
        maxSettleMs,
        back: f.backAt !== null,
        backMs: f.backAt === null ? null : f.backAt - f.t0,
      },
      others: { sessions: new Set(f.others.map((c) => c.key)).size, calls: f.others.length, answered: othersAnswered, failed, failedBy },
      contained: why.length === 0,
      why,
    };
  }
}
