// A session's call admission: p-queue with `sessionConcurrency` slots and a hard bound on the
// waiting line (p-queue has no maxSize, sindresorhus/p-queue#87), one deadline per call that
// covers queue wait and run alike, and a slot held until the worker settles the call.

import PQueue from 'p-queue';
import { gatewayError, isGatewayError, type GatewayError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { RpcClient } from '../rpc/client.ts';
import type { SessionLimits } from './limits.ts';

export class CallQueue {
  readonly #q: PQueue;
  readonly #limits: SessionLimits;
  readonly #metrics: Metrics;
  readonly #running = new Set<Promise<void>>();
  /** Calls still waiting for a slot, so clear() can answer them instead of dropping them. */
  readonly #waiting = new Set<(e: GatewayError) => void>();

  constructor(limits: SessionLimits, metrics: Metrics) {
    this.#limits = limits;
    this.#metrics = metrics;
    this.#q = new PQueue({ concurrency: limits.sessionConcurrency });
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#q.size;
  }

  /** Calls holding a slot. */
  get active(): number {
    return this.#q.pending;
  }

  /**
   * Admit a call, or fail it at once with GW_BUSY. When the call reaches a slot, `pick()` names
   * the worker to send it to, or the error to fail it with (its worker died meanwhile, ...).
   */
  submit(fn: string, args: readonly unknown[], operationID: string, pick: () => RpcClient | GatewayError): Promise<unknown> {
    const { sessionConcurrency, sessionQueue, callTimeoutMs } = this.#limits;
    if (this.#q.pending + this.#q.size >= sessionConcurrency + sessionQueue) {
      return this.refuse(gatewayError('GW_BUSY', undefined, { queued: this.#q.size, running: this.#q.pending }));
    }
    const started = performance.now();
    const deadline = Date.now() + callTimeoutMs;
    this.#metrics.rpcInFlight.inc();
    const result = new Promise<unknown>((resolve, reject) => {
      let expired = false;
      let started = false;
      let waitTimer: NodeJS.Timeout | undefined;
      const fail = (e: GatewayError): void => {
        this.#waiting.delete(fail);
        clearTimeout(waitTimer);
        expired = true;
        reject(e);
      };
      void this.#q.add(async () => {
        started = true;
        this.#waiting.delete(fail);
        clearTimeout(waitTimer);
        if (expired) return;
        const target = pick();
        if (!('call' in target)) {
          reject(target);
          return;
        }
        const c = target.call(fn, args, { operationID, deadline });
        c.result.then(resolve, reject);
        // The slot is held until the worker answers or dies, not merely until the deadline:
        // a timed-out call may still be running, and the next one must not overlap it.
        this.#running.add(c.settled);
        await c.settled;
        this.#running.delete(c.settled);
      });
      // p-queue starts a task synchronously when a slot is free: only a call that really waits
      // needs a queue-wait timer (one setTimeout/clearTimeout pair less per call otherwise).
      if (!started) {
        this.#waiting.add(fail);
        waitTimer = setTimeout(() => fail(gatewayError('GW_CALL_TIMEOUT', 'still queued', { fn, timeoutMs: callTimeoutMs, queued: true })), callTimeoutMs);
      }
    });
    result.then(
      () => this.#observe(started, 'ok'),
      (e: unknown) => this.#observe(started, isGatewayError(e) ? String(e.errorName) : 'core'),
    );
    return result;
  }

  /** Fail a call that was never admitted (the connection counts and logs it). */
  refuse(e: GatewayError): Promise<never> {
    return Promise.reject(e);
  }

  /** Hold waiting calls (while a new worker logs in); running ones are unaffected. */
  pause(): void {
    this.#q.pause();
  }

  resume(): void {
    if (this.#q.isPaused) this.#q.start();
  }

  /** Resolves when nothing waits or runs. */
  onIdle(): Promise<void> {
    return this.#q.onIdle();
  }

  /** Drop every waiting call, answering each with `reason` (p-queue's clear() would leave them pending). */
  clear(reason: GatewayError): void {
    for (const fail of [...this.#waiting]) fail(reason);
    this.#q.clear();
  }

  /** Resolves when the calls running now have settled; waiting calls are not awaited. */
  runningSettled(): Promise<void> {
    return Promise.all([...this.#running]).then(() => {});
  }

  #observe(startedMs: number, status: string): void {
    const m = this.#metrics;
    m.rpcInFlight.dec();
    m.rpc.observe({ status }, (performance.now() - startedMs) / 1000);
  }
}
