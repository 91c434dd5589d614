// Worker side of the session RPC: dispatches calls to the core's named functions, each with its
// own AbortSignal (aborted on cancel or at the deadline; created only when read), answers every
// call exactly once with a value or a WireError (at the deadline at the latest, for a core that
// asks for it), and carries the core's callbacks as events on the same port, so a callback
// emitted before a result reaches the client before it. Deadlines share one timer per server.
//
// Like the client, it knows nothing about threads or processes: the worker entry supplies
// `onClosed` (exit) and `onFault`; an in-process host supplies its own.

import { getHeapStatistics } from 'node:v8';
import type { RpcPort } from './port.ts';
import type { CallContext, CoreLogger, RestSample, SdkCore } from '../core/contract.ts';
import type { CallMessage, FaultKind, LogMessage, MainToWorker, ResultMessage, ShutdownMessage, WorkerToMain } from '../protocol.ts';
import { gatewayError, toWire } from '../errors.ts';
import { DeadlineTimer } from './deadline-timer.ts';

export interface RpcServerOptions {
  /** Lines below this pino level name are dropped before crossing the port. */
  readonly logLevel: string;
  /** Only set when fault injection is enabled; otherwise FaultMessages are ignored. */
  readonly onFault?: (kind: FaultKind) => void;
  /** The core is closed and 'closed' was posted. */
  readonly onClosed: (reason: ShutdownMessage['reason']) => void;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

/** Callback payloads travel as the JSON text the wire carries: strings pass as they are (the Go
 * core's listeners already hand over JSON text), nothing becomes "", anything else is encoded. */
export function eventData(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (typeof data === 'string') return data;
  return JSON.stringify(data);
}

/**
 * One running call, and the `ctx` its function gets. Its AbortController is created only when
 * the function reads `ctx.signal`: most calls (local reads, status) never do, and an
 * AbortController (an EventTarget) per call was the largest cost of a call in the worker. A call
 * cancelled or expired before its signal was read gets an already-aborted signal.
 */
class Call implements CallContext {
  readonly id: number;
  readonly fn: string;
  readonly operationID: string;
  readonly deadline: number;
  /** The answer was posted (by the function, or at the deadline or cancel). */
  answered = false;
  #ac: AbortController | null = null;
  #reason: unknown = undefined;
  #aborted = false;

  constructor(m: CallMessage) {
    this.id = m.id;
    this.fn = m.fn;
    this.operationID = m.operationID;
    this.deadline = m.deadline;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (!this.#ac) {
      this.#ac = new AbortController();
      if (this.#aborted) this.#ac.abort(this.#reason);
    }
    return this.#ac.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#ac?.abort(reason);
  }
}

export class RpcServer {
  readonly #port: RpcPort;
  readonly #opts: RpcServerOptions;
  readonly #calls = new Map<number, Call>();
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));
  #minLevel: number;
  #core: SdkCore | null = null;
  #waiting: CallMessage[] = [];
  #closing = false;

  constructor(port: RpcPort, options: RpcServerOptions) {
    this.#port = port;
    this.#opts = options;
    this.#minLevel = LEVELS[options.logLevel as keyof typeof LEVELS] ?? LEVELS.info;
    port.on('message', (m: MainToWorker) => this.#onMessage(m));
    // A message from the main thread that cannot be deserialised is a call nobody will answer:
    // fail the worker loudly (the supervisor classifies and restarts it) rather than leave the
    // call to time out.
    port.on('messageerror', (e: Error) => {
      throw e;
    });
  }

  /** For CoreInit.emit: deliver a callback to every connection of the session. */
  readonly emit = (event: string, data?: unknown, errCode = 0, errMsg = '', origin?: string): void => {
    this.#post(origin === undefined ? { type: 'event', event, data: eventData(data), errCode, errMsg } : { type: 'event', event, data: eventData(data), errCode, errMsg, origin });
  };

  /** For CoreInit.onRest: the main thread aggregates these into the upstream metrics. */
  readonly rest = (sample: RestSample): void => {
    this.#post({ type: 'upstream', sample });
  };

  /** For CoreInit.log: lines are written by the main thread's session logger. */
  readonly log: CoreLogger = {
    debug: (obj, msg) => this.#log('debug', obj, msg),
    info: (obj, msg) => this.#log('info', obj, msg),
    warn: (obj, msg) => this.#log('warn', obj, msg),
    error: (obj, msg) => this.#log('error', obj, msg),
  };

  /** Start serving calls with this core and tell the main side. */
  serve(core: SdkCore, threadId: number): void {
    this.#core = core;
    this.#post({ type: 'ready', threadId });
    // An unsolicited pong (seq 0): the main side has a heap figure from the first moment the core
    // serves, before any ping (a process's stuck-heap estimate starts from it: process-host.ts).
    this.#pong(0);
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const m of waiting) void this.#dispatch(m);
  }

  #onMessage(m: MainToWorker): void {
    switch (m.type) {
      case 'call':
        if (this.#core) void this.#dispatch(m);
        else this.#waiting.push(m);
        return;
      case 'cancel': {
        const call = this.#calls.get(m.id);
        if (call) this.#abort(call, gatewayError('GW_CALL_TIMEOUT', 'cancelled'));
        return;
      }
      case 'ping':
        this.#pong(m.seq);
        return;
      case 'fault':
        if (this.#opts.onFault) this.#opts.onFault(m.kind);
        else this.#log('warn', { kind: m.kind }, 'fault injection is disabled; fault ignored');
        return;
      case 'shutdown':
        void this.#shutdown(m.reason);
        return;
      case 'log-level':
        this.#minLevel = LEVELS[m.level as keyof typeof LEVELS] ?? this.#minLevel;
        return;
    }
  }

  async #dispatch(m: CallMessage): Promise<void> {
    const core = this.#core!;
    if (this.#closing) {
      this.#answerError(m.id, gatewayError('GW_SESSION_STOPPED'));
      return;
    }
    const fn = Object.hasOwn(core.functions, m.fn) ? core.functions[m.fn] : undefined;
    if (typeof fn !== 'function') {
      this.#answerError(m.id, gatewayError('GW_UNKNOWN_FUNCTION', m.fn));
      return;
    }
    const call = new Call(m);
    this.#calls.set(m.id, call);
    this.#deadlines.schedule(m.deadline);
    try {
      const value = await fn(call, ...m.args);
      if (call.answered) return;
      try {
        // Encoded here, inside this call's own try: a value that cannot be encoded (BigInt, a
        // cycle, extreme depth) fails this call only, never the session.
        const json = value === undefined ? '' : JSON.stringify(value);
        // JSON silently drops functions and symbols; a core returning one has a bug to surface.
        if (json === undefined) throw new TypeError(`${typeof value} is not JSON`);
        this.#answer(call, { type: 'result', id: m.id, ok: true, json });
      } catch (e) {
        this.#answer(call, { type: 'result', id: m.id, ok: false, error: toWire(gatewayError('GW_INTERNAL', 'result is not serialisable', { fn: m.fn, cause: (e as Error).message })) });
      }
    } catch (e) {
      if (!call.answered) this.#answer(call, { type: 'result', id: m.id, ok: false, error: toWire(e) });
    } finally {
      this.#calls.delete(m.id);
    }
  }

  #answer(call: Call, m: ResultMessage): void {
    call.answered = true;
    this.#post(m);
  }

  /**
   * Cancel or deadline: abort the call's signal (if its function asked for one) and, for a core
   * that answers at the deadline (SdkCore.answerAtDeadline), answer with the reason now.
   */
  #abort(call: Call, reason: unknown): void {
    if (call.aborted) return;
    call.abort(reason);
    if (this.#core?.answerAtDeadline && !call.answered) {
      this.#answer(call, { type: 'result', id: call.id, ok: false, error: toWire(reason) });
    }
  }

  /** The deadline timer fired: expire what is due, and name the next deadline. */
  #expire(now: number): number {
    let next = Infinity;
    for (const call of this.#calls.values()) {
      if (call.aborted) continue;
      if (call.deadline <= now) this.#abort(call, gatewayError('GW_CALL_TIMEOUT', undefined, { fn: call.fn }));
      else if (call.deadline < next) next = call.deadline;
    }
    return next;
  }

  #answerError(id: number, e: unknown): void {
    this.#post({ type: 'result', id, ok: false, error: toWire(e) });
  }

  async #shutdown(reason: ShutdownMessage['reason']): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    // The supervisor drains before it asks, so anything still running is past saving.
    for (const call of this.#calls.values()) this.#abort(call, gatewayError('GW_SESSION_STOPPED'));
    this.#deadlines.stop();
    try {
      await this.#core?.close(reason);
    } catch (e) {
      this.#log('error', { err: e }, 'core close failed');
    }
    this.#post({ type: 'closed' });
    this.#opts.onClosed(reason);
  }

  #log(level: LogMessage['level'], obj: object, msg?: string): void {
    if (LEVELS[level] < this.#minLevel) return;
    const flat = flatLogFields(obj);
    this.#port.postMessage(msg === undefined ? { type: 'log', level, obj: flat } : { type: 'log', level, obj: flat, msg });
  }

  /** Pongs carry the heap: the watchdog pings only when it needs either (watchdog.ts). */
  #pong(seq: number): void {
    const h = getHeapStatistics();
    this.#post({ type: 'pong', seq, heapUsed: h.used_heap_size, heapLimit: h.heap_size_limit });
  }

  #post(m: WorkerToMain): void {
    this.#port.postMessage(m);
  }
}

/**
 * A log object made shallow for the trip to the main thread: errors keep name, message, code and
 * stack; other objects travel as JSON text. Nested structure would be deserialised recursively
 * on the main thread (see ResultMessage), and a handle or function would not clone at all.
 */
function flatLogFields(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      const code = (v as { code?: unknown }).code;
      out[k] = { type: v.name, message: v.message, stack: v.stack, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
    } else if (v !== null && typeof v === 'object') {
      try {
        out[k] = JSON.stringify(v);
      } catch {
        out[k] = '[unserialisable]';
      }
    } else if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
      out[k] = String(v);
    } else {
      out[k] = v;
    }
  }
  return out;
}
