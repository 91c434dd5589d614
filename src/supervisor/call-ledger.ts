// The gateway's own account of the calls its clients made, per session key: when each began and
// how it ended. Supervisor.call() records every call a connection hands it (chaos mode only), so
// the chaos report (chaos.ts) judges containment from the same calls the clients made, not from
// probes of its own.

import { isGatewayError } from '../errors.ts';

export interface CallRecord {
  readonly key: string;
  readonly at: number;
  settledAt: number | null;
  /** 'ok', a gateway error name, or 'core' (an error the SDK core answered with). */
  outcome: string | null;
}

/** Errors that mean the gateway did not answer the call (retryable ones, and a dead session). */
export function unanswered(outcome: string): boolean {
  return outcome !== 'ok' && outcome !== 'core' && UNANSWERED.has(outcome);
}

const UNANSWERED = new Set([
  'GW_BUSY', 'GW_SESSION_CRASHED', 'GW_SESSION_RESTARTING', 'GW_CALL_TIMEOUT', 'GW_DRAINING', 'GW_CAPACITY',
  'GW_INTERNAL', 'GW_SESSION_QUARANTINED', 'GW_SESSION_STOPPED', 'GW_NOT_LOGGED_IN',
]);

export class CallLedger {
  readonly #open = new Set<CallRecord>();
  readonly #onBegin = new Set<(r: CallRecord) => void>();

  /** Record a call and its outcome; returns the promise unchanged. */
  track<T>(key: string, call: Promise<T>): Promise<T> {
    const r: CallRecord = { key, at: Date.now(), settledAt: null, outcome: null };
    this.#open.add(r);
    for (const l of this.#onBegin) l(r);
    const end = (outcome: string): void => {
      r.settledAt = Date.now();
      r.outcome = outcome;
      this.#open.delete(r);
    };
    call.then(
      () => end('ok'),
      (e: unknown) => end(isGatewayError(e) ? String(e.errorName) : 'core'),
    );
    return call;
  }

  /** Calls begun and not yet settled, optionally of one key only. */
  inFlight(key?: string): CallRecord[] {
    return [...this.#open].filter((r) => key === undefined || r.key === key);
  }

  /** Be told of every call that begins from now on; returns the unsubscribe. */
  onBegin(listener: (r: CallRecord) => void): () => void {
    this.#onBegin.add(listener);
    return () => this.#onBegin.delete(listener);
  }
}
