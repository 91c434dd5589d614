// Memory-budget admission. The maximum number of live sessions comes from a budget:
//
//   maxSessions = floor((budget − headroom) / sessionCost) − warm spares
//
// where budget is --memory-budget-mb (0: the machine's RAM, os.totalmem()), headroom is
// --memory-headroom-mb (the gateway itself, sockets, the embedded IM server, page cache) and
// sessionCost is --session-cost-mb, the RSS one idle logged-in session costs as bench/memory.ts
// measured it (docs/performance.md). Warm spares cost a session each and are subtracted.
//
// A login that needs a new session when the gateway is full first evicts idle sessions (no
// connection left, waiting out their idle grace), least recently used first, and waits for the
// victim to stop (its worker's memory is what the newcomer needs). With no idle session left it
// is refused with GW_CAPACITY (20014, retryable: a session will end or go idle).

import { totalmem } from 'node:os';
import type { Logger } from 'pino';
import { gatewayError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { Session } from './session.ts';

const MiB = 1024 * 1024;

export interface Capacity {
  readonly budgetMb: number;
  readonly headroomMb: number;
  readonly sessionCostMb: number;
  readonly spares: number;
  readonly maxSessions: number;
}

export function capacity(options: Pick<GatewayOptions, 'memoryBudgetMb' | 'memoryHeadroomMb' | 'sessionCostMb'>, spares: number, totalBytes = totalmem()): Capacity {
  const budgetMb = options.memoryBudgetMb > 0 ? options.memoryBudgetMb : Math.floor(totalBytes / MiB);
  const usable = Math.max(0, budgetMb - options.memoryHeadroomMb);
  const maxSessions = Math.max(0, Math.floor(usable / options.sessionCostMb) - spares);
  return { budgetMb, headroomMb: options.memoryHeadroomMb, sessionCostMb: options.sessionCostMb, spares, maxSessions };
}

export interface AdmissionDeps {
  readonly capacity: Capacity;
  /** Every session the registry holds (live or stopping). */
  readonly sessions: () => readonly Session[];
  readonly boundMs: number;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export class Admission {
  readonly #d: AdmissionDeps;

  constructor(deps: AdmissionDeps) {
    this.#d = deps;
  }

  get maxSessions(): number {
    return this.#d.capacity.maxSessions;
  }

  /** Sessions that hold (or will hold) a worker: everything not already stopping. */
  live(): number {
    let n = 0;
    for (const s of this.#d.sessions()) if (!s.closing) n++;
    return n;
  }

  /** Room for one more session right now. Synchronous, so the caller can create it before yielding. */
  hasRoom(): boolean {
    return this.live() < this.#d.capacity.maxSessions;
  }

  /**
   * Free one session's worth of memory: stop the least recently used idle session and wait for
   * it. Throws GW_CAPACITY when no session is idle. Callers loop `while (!hasRoom())`, since other
   * logins may take the room while this waits.
   */
  async evictOne(): Promise<void> {
    const max = this.#d.capacity.maxSessions;
    const victim = this.#lruIdle();
    if (!victim) {
      this.#d.metrics.admissionRefused.inc();
      this.#d.log.warn({ maxSessions: max, live: this.live() }, 'login refused: at session capacity');
      throw gatewayError('GW_CAPACITY', undefined, { maxSessions: max });
    }
    this.#d.metrics.sessionsEvicted.inc();
    this.#d.log.info({ userID: victim.userID, platformID: victim.platformID, sessionId: victim.sessionId, maxSessions: max }, 'evicting the least recently used idle session to admit a login');
    await victim.close('idle', this.#d.boundMs);
  }

  /** No room, and no idle session to make room with: a new session would get GW_CAPACITY. */
  full(): boolean {
    return !this.hasRoom() && this.#lruIdle() === undefined;
  }

  /** The idle session (no connections, in its idle grace) idle the longest. */
  #lruIdle(): Session | undefined {
    let best: Session | undefined;
    let bestSince = Infinity;
    for (const s of this.#d.sessions()) {
      if (s.closing || s.clientCount > 0) continue;
      const since = s.idleSince;
      if (since !== null && since < bestSince) {
        best = s;
        bestSince = since;
      }
    }
    return best;
  }
}
