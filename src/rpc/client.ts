// Main side of the session RPC: calls with ids, deadlines and cancellation over one port, plus
// the session's single event stream. Knows nothing about Worker: the port may come from a
// worker's MessageChannel, an in-thread MessageChannel (`--isolation none`) or a child process's
// IPC channel (`--isolation process`); see port.ts.
//
// Invariants:
// - every call's `result` settles exactly once: with the worker's answer, GW_CALL_TIMEOUT at its
//   deadline, or the error given to failAll();
// - every call's `settled` resolves only when the worker has answered or is gone, so a caller
//   that holds a concurrency slot until `settled` never runs two calls where one was allowed;
// - after failAll() nothing is posted again (postMessage to a dead worker is a silent no-op,
//   which would leave the caller hanging), and new calls fail at once with the same error.

import { DeadlineTimer } from './deadline-timer.ts';
import { EncodedResult } from './encoded.ts';
import type { RpcPort } from './port.ts';
import type {
  EventMessage,
  FaultKind,
  LogMessage,
  MainToWorker,
  PongMessage,
  ReadyMessage,
  ShutdownMessage,
  UpstreamMessage,
  WorkerToMain,
} from '../protocol.ts';
import { fromWire, gatewayError } from '../errors.ts';

interface RpcClientHooks {
  onEvent?(event: EventMessage): void;
  /** A pong, with the worker's heap figures. */
  onPong?(pong: PongMessage): void;
  onLog?(line: LogMessage): void;
  /** A REST request the core made upstream (route and timing). */
  onUpstream?(sample: UpstreamMessage['sample']): void;
  /** A call stayed unanswered `overdueGraceMs` past its deadline: the worker ignores cancellation. */
  onOverdue?(call: { id: number; fn: string; overdueMs: number }): void;
  /** A message could not be deserialised: some call's answer may be lost. */
  onBroken?(error: Error): void;
}

export interface RpcClientOptions extends RpcClientHooks {
  /** Grace after a call's deadline before `onOverdue` fires. */
  readonly overdueGraceMs: number;
}

export interface CallOptions {
  readonly operationID: string;
  /** Absolute deadline, ms since epoch. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

export interface RpcCall {
  readonly id: number;
  /** The call's outcome, as seen by the caller. */
  readonly result: Promise<unknown>;
  /** Resolves (never rejects) once the worker has answered, or is known to be gone. */
  readonly settled: Promise<void>;
}

interface Pending {
  readonly fn: string;
  answered: boolean; // `result` already settled (timeout or cancel), still waiting for `settled`
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly settle: () => void;
  readonly deadline: number;
  readonly timeoutMs: number;
  /** When the worker's answer to a cancelled call is overdue (Infinity until cancelled). */
  overdueAt: number;
  cancelledAt: number;
  overdueReported: boolean;
  readonly cleanup: (() => void) | null;
}

export class RpcClient {
  readonly #port: RpcPort;
  readonly #opts: RpcClientOptions;
  readonly #pending = new Map<number, Pending>();
  // Deadlines and overdue graces of every pending call share one timer (deadline-timer.ts).
  readonly #deadlines = new DeadlineTimer((now) => this.#due(now));
  #nextId = 1;
  #dead: Error | null = null;
  #readyResolve!: (m: ReadyMessage) => void;
  #readyReject!: (e: unknown) => void;
  #closedResolve!: () => void;
  #closedReject!: (e: unknown) => void;
  #closeRequested = false;

  /** Resolves when the worker's core is created and serving. */
  readonly ready: Promise<ReadyMessage>;
  /** Resolves when the worker reports its core closed (after shutdown()). */
  readonly closed: Promise<void>;

  constructor(port: RpcPort, options: RpcClientOptions) {
    this.#port = port;
    this.#opts = options;
    this.ready = new Promise((res, rej) => {
      this.#readyResolve = res;
      this.#readyReject = rej;
    });
    this.closed = new Promise((res, rej) => {
      this.#closedResolve = res;
      this.#closedReject = rej;
    });
    // Nobody may be listening yet; the rejection is still observable through the promise.
    this.ready.catch(() => {});
    this.closed.catch(() => {});
    port.on('message', (m: WorkerToMain) => this.#onMessage(m));
    port.on('messageerror', (e: Error) => this.#opts.onBroken?.(e));
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  call(fn: string, args: readonly unknown[], options: CallOptions): RpcCall {
    const id = this.#nextId++;
    if (this.#dead) {
      return { id, result: Promise.reject(this.#dead), settled: Promise.resolve() };
    }
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    let settle!: () => void;
    const result = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const settled = new Promise<void>((res) => (settle = res));
    const signal = options.signal;
    const onAbort = signal ? (): void => this.cancel(id, gatewayError('GW_CALL_TIMEOUT', 'cancelled', { fn, cancelled: true })) : null;
    const p: Pending = {
      fn,
      answered: false,
      resolve,
      reject,
      settle,
      deadline: options.deadline,
      timeoutMs: Math.max(0, options.deadline - Date.now()),
      overdueAt: Infinity,
      cancelledAt: 0,
      overdueReported: false,
      cleanup: onAbort ? () => signal!.removeEventListener('abort', onAbort) : null,
    };
    this.#pending.set(id, p);
    this.#deadlines.schedule(p.deadline);
    if (onAbort) signal!.addEventListener('abort', onAbort, { once: true });
    const msg: MainToWorker = { type: 'call', id, fn, args, operationID: options.operationID, deadline: options.deadline };
    try {
      this.#port.postMessage(msg);
    } catch (e) {
      // DataCloneError: the arguments cannot cross the boundary. Nothing was posted.
      this.#finish(id);
      reject(gatewayError('GW_BAD_ARGUMENTS', 'arguments are not serialisable', { fn, cause: (e as Error).message }));
    }
    return { id, result, settled };
  }

  /**
   * Give up on a call: its result rejects now with `error`, the worker is told to abort it, and
   * `settled` waits for the worker's answer. If none comes within overdueGraceMs, onOverdue fires.
   */
  cancel(id: number, error: Error): void {
    const p = this.#pending.get(id);
    if (!p || p.answered) return;
    p.answered = true;
    p.cleanup?.();
    p.reject(error);
    this.#post({ type: 'cancel', id });
    p.cancelledAt = Date.now();
    p.overdueAt = p.cancelledAt + this.#opts.overdueGraceMs;
    this.#deadlines.schedule(p.overdueAt);
  }

  /** The deadline timer fired: time out what is due, report what is overdue, name the next. */
  #due(now: number): number {
    let next = Infinity;
    for (const [id, p] of this.#pending) {
      if (!p.answered) {
        if (p.deadline <= now) this.cancel(id, gatewayError('GW_CALL_TIMEOUT', undefined, { fn: p.fn, timeoutMs: p.timeoutMs }));
        else if (p.deadline < next) next = p.deadline;
      }
      if (p.answered && !p.overdueReported) {
        if (p.overdueAt <= now) {
          p.overdueReported = true;
          if (!this.#dead) this.#opts.onOverdue?.({ id, fn: p.fn, overdueMs: now - p.cancelledAt });
        } else if (p.overdueAt < next) {
          next = p.overdueAt;
        }
      }
    }
    return next;
  }

  ping(seq: number): void {
    this.#post({ type: 'ping', seq });
  }

  /** Change the level below which the worker drops its log lines (SIGHUP). */
  setLogLevel(level: string): void {
    this.#post({ type: 'log-level', level });
  }

  fault(kind: FaultKind): boolean {
    return this.#post({ type: 'fault', kind });
  }

  /** Ask the core to close; `closed` resolves when it has. */
  shutdown(reason: ShutdownMessage['reason']): Promise<void> {
    this.#closeRequested = true;
    this.#post({ type: 'shutdown', reason });
    return this.closed;
  }

  /**
   * The worker is gone (or must be treated as gone): reject every in-flight call with `error`,
   * release every slot, and refuse all further traffic. Idempotent; the first error wins.
   */
  failAll(error: Error): void {
    if (this.#dead) return;
    this.#dead = error;
    for (const [id, p] of this.#pending) {
      this.#finish(id);
      if (!p.answered) p.reject(error);
    }
    this.#readyReject(error);
    if (this.#closeRequested) this.#closedResolve();
    else this.#closedReject(error);
    this.#deadlines.stop();
    this.#port.removeAllListeners('message');
    this.#port.close();
  }

  #post(msg: MainToWorker): boolean {
    if (this.#dead) return false;
    this.#port.postMessage(msg);
    return true;
  }

  #finish(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    p.cleanup?.();
    p.settle();
    return p;
  }

  #onMessage(m: WorkerToMain): void {
    switch (m.type) {
      case 'result': {
        const p = this.#finish(m.id);
        if (!p || p.answered) return;
        p.answered = true;
        if (m.ok) p.resolve(new EncodedResult(m.json));
        else p.reject(fromWire(m.error));
        return;
      }
      case 'event':
        this.#opts.onEvent?.(m);
        return;
      case 'pong':
        this.#opts.onPong?.(m);
        return;
      case 'log':
        this.#opts.onLog?.(m);
        return;
      case 'upstream':
        this.#opts.onUpstream?.(m.sample);
        return;
      case 'ready':
        this.#readyResolve(m);
        return;
      case 'closed':
        this.#closedResolve();
        return;
      case 'fatal':
        this.#readyReject(fromWire(m.error));
        return;
    }
  }
}
