// One client WebSocket: the SessionClient the supervisor delivers callbacks to, and the place
// where each request gets exactly one response, matched by operationID.
//
//   upgrade ──▶ InitSDK event ──▶ frames ──▶ parse/validate ──▶ limits ──▶ dispatch ──▶ response
//                                               │ (frames.ts)      │ rate, drain,   │ Login/Logout/
//                                               ▼                  ▼ duplicate op   ▼ GetLoginStatus
//                                        error response     error response   supervisor.*

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { gatewayError, isGatewayError, toWire } from '../errors.ts';
import { codeLabel, type Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import { failureOutcome, FLOOD_REFUSALS } from '../outcome.ts';
import type { Callback } from '../supervisor/stream-facts.ts';
import type { Principal, SessionClient, Supervisor } from '../supervisor/types.ts';
import type { Reservation } from './caps.ts';
import { FrameError, formatError, formatEvent, formatFrame, formatResult, frameText, parseRequest, type Request } from './frames.ts';
import { functions } from './functions.ts';
import { TokenBucket } from './rate-limit.ts';
import { refusalCloseCode } from './refusal.ts';

export interface ConnectionDeps {
  readonly supervisor: Supervisor;
  readonly options: GatewayOptions;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** True once the gateway started draining: new frames are refused with GW_DRAINING. */
  readonly isDraining: () => boolean;
  /** The client's address (the forwarded one behind a trusted proxy), for logs. */
  readonly ip?: string;
}

/** How long a slow consumer gets to take its close frame before the socket is destroyed. */
const SLOW_CLOSE_GRACE_MS = 2_000;

export class ClientConnection implements SessionClient {
  readonly id: string = randomUUID();
  readonly principal: Principal;
  readonly #ws: WebSocket;
  readonly #deps: ConnectionDeps;
  readonly #log: Logger;
  readonly #bucket: TokenBucket;
  readonly #reservation: Reservation;
  readonly #inflight = new Set<string>();
  #idleWaiters: Array<() => void> = [];
  #alive = true;
  #closing = false;
  /** Frames refused by the rate limit in a row. */
  #strikes = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #onClosed: Array<() => void> = [];
  #resumeKey: string | undefined;
  /** Callbacks given to sendEvent while the socket was closing already: never written. */
  #undelivered: Callback[] = [];

  constructor(ws: WebSocket, principal: Principal, reservation: Reservation, deps: ConnectionDeps) {
    this.#ws = ws;
    this.principal = principal;
    this.#reservation = reservation;
    this.#deps = deps;
    this.#log = deps.log.child({ conn: this.id, userID: principal.userID, platformID: principal.platformID, ip: deps.ip });
    this.#bucket = new TokenBucket(deps.options.ratePerConn, deps.options.rateBurst);
  }

  /** Wire the socket and greet the client with InitSDK (echoing the upgrade operationID). */
  start(initOperationID: string): void {
    // open-im-sdk redials with the same URL: its operationID names this client across sockets.
    this.#resumeKey = initOperationID;
    const ws = this.#ws;
    this.#deps.metrics.connections.inc();
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));
    ws.once('close', (code) => this.#onClose(code));
    this.#heartbeat = setInterval(() => this.#beat(), this.#deps.options.pingIntervalMs);
    this.#heartbeat.unref();
    this.#send(formatFrame('InitSDK', 0, '', '', initOperationID));
    this.#log.info('connected');
  }

  get resumeKey(): string | undefined {
    return this.#resumeKey;
  }

  get inFlight(): number {
    return this.#inflight.size;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN && !this.#closing;
  }

  sendEvent(event: string, data: string, errCode: number, errMsg: string): void {
    if (!this.#send(formatEvent(event, data, errCode, errMsg))) this.#undelivered.push({ event, data, errCode, errMsg });
  }

  /**
   * Only what was never written. A write that fails is not counted: one write can carry several
   * frames, and those ahead of the failure may have reached the client in full.
   */
  undelivered(): Callback[] {
    const out = this.#undelivered;
    this.#undelivered = [];
    return out;
  }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason.slice(0, 120));
    }
  }

  /** Destroy the socket at once (heartbeat miss, drain deadline). */
  terminate(): void {
    this.#closing = true;
    this.#ws.terminate();
  }

  /** Resolves when no request of this connection is in flight. */
  whenIdle(): Promise<void> {
    if (this.#inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.#onClosed.push(resolve));
  }

  #beat(): void {
    if (!this.#alive) {
      this.#log.info('missed pong; terminating');
      this.terminate();
      return;
    }
    this.#alive = false;
    try {
      this.#ws.ping();
    } catch {
      // The socket is closing; its close event does the cleanup.
    }
  }

  /** False when the socket is closing (or closed, its close event still to come): not written. */
  #send(text: string): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN || this.#closing) return false;
    this.#ws.send(text);
    if (this.#ws.bufferedAmount > this.#deps.options.slowConsumerBytes) {
      this.#log.warn({ bufferedAmount: this.#ws.bufferedAmount }, 'slow consumer; closing');
      const err = gatewayError('GW_SLOW_CONSUMER');
      this.close(err.close ?? 1013, 'slow consumer');
      setTimeout(() => this.#ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
    }
    return true;
  }

  /** Answer a call with an error; counted and logged here, once per call. */
  #reject(event: string, operationID: string, err: unknown, started: number | null = null): void {
    this.#account(event, operationID, started, err);
    this.#send(formatError(event, operationID, err));
  }

  /**
   * The one place a call's answer is counted and a failed call is logged: at a level that fits
   * its kind (src/outcome.ts), with operationID, function and code, never the arguments.
   * `started` is null for calls refused before dispatch (their latency says nothing).
   */
  #account(fn: string, operationID: string, started: number | null, err?: unknown): void {
    const m = this.#deps.metrics;
    // Only allow-listed names become label values; anything a client makes up is `unknown`.
    const label = Object.hasOwn(functions, fn) ? fn : 'unknown';
    if (started !== null) m.callDuration.observe({ function: label }, (performance.now() - started) / 1000);
    if (err === undefined) {
      m.calls.inc({ function: label, outcome: 'ok' });
      return;
    }
    const w = toWire(err);
    const outcome = failureOutcome(w);
    m.calls.inc({ function: label, outcome });
    m.callErrors.inc({ outcome, code: codeLabel(w.code) });
    const fields = { operationID, fn: fn.slice(0, 64), code: w.code, error: w.name, outcome };
    if (outcome === 'fault') {
      // An unexpected exception keeps its stack (never arguments); a classified fault its message.
      if (w.name === 'GW_INTERNAL') this.#log.error(isGatewayError(err) ? { ...fields, errMsg: w.message } : { ...fields, err }, 'call failed');
      else this.#log.warn({ ...fields, errMsg: w.message }, 'call failed');
    } else if (outcome === 'refused' && FLOOD_REFUSALS.has(w.name)) {
      this.#log.debug(fields, 'call refused');
    } else {
      this.#log.info(fields, outcome === 'refused' ? 'call refused' : 'call failed');
    }
  }

  #onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closing) return;
    const started = performance.now();
    let req: Request;
    try {
      const text = frameText(data, isBinary);
      // Charge the rate limit before the costly parse of `data` and the arguments, by size, so
      // refused or huge frames cost the sender tokens too.
      req = parseRequest(text, this.principal.userID, () => this.#admit(text.length));
    } catch (e) {
      if (e instanceof FrameError) {
        this.#reject(e.event, e.operationID, e.cause);
        return;
      }
      this.#reject('Protocol Error', '', e);
      return;
    }
    const { reqFuncName: fn, operationID } = req;
    if (this.#deps.isDraining()) return this.#reject(fn, operationID, gatewayError('GW_DRAINING'));
    if (this.#inflight.has(operationID)) return this.#reject(fn, operationID, gatewayError('GW_DUPLICATE_OPERATION'));
    // Enough for a full session queue plus the running calls (the user's limits, --limits-file);
    // more can only be a runaway client.
    if (this.#inflight.size >= this.#deps.supervisor.maxInFlight(this.principal.userID)) return this.#reject(fn, operationID, gatewayError('GW_BUSY', 'too many calls in flight on this connection'));

    this.#inflight.add(operationID);
    this.#log.debug({ fn, operationID }, 'call');
    this.#dispatch(req).then(
      (result) => {
        let text: string;
        try {
          text = formatResult(fn, operationID, result);
        } catch (err) {
          // A result that cannot be JSON-encoded (BigInt, a cycle) is that call's failure; it
          // must not become an unhandled rejection in the gateway process.
          return this.#reject(fn, operationID, err, started);
        }
        this.#account(fn, operationID, started);
        this.#send(text);
      },
      (err: unknown) => {
        this.#reject(fn, operationID, err, started);
        // Upstream no longer accepts this connection's token (revoked or superseded since the
        // upgrade): nothing is left for it to do, and it must not keep one of the pair's slots.
        // Ended like an in-band upgrade refusal (refusal.ts): Logout event, close 4401.
        if (fn === 'Login' && isGatewayError(err, 'GW_BAD_TOKEN')) {
          this.#send(formatEvent('Logout', '', 0, ''));
          this.close(refusalCloseCode(err), String(err.errorName));
        }
      },
    ).finally(() => {
      this.#inflight.delete(operationID);
      if (this.#inflight.size === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  /** One token per frame plus one per 64 KiB; persistent abuse ends the connection (1008). */
  #admit(bytes: number): void {
    if (this.#bucket.take(Math.min(this.#deps.options.rateBurst, 1 + Math.floor(bytes / 65_536)))) {
      this.#strikes = 0;
      return;
    }
    if (++this.#strikes > this.#deps.options.rateBurst) {
      this.#log.warn({ strikes: this.#strikes }, 'rate limit ignored; closing');
      this.close(1008, 'rate limit');
    }
    throw gatewayError('GW_RATE_LIMITED');
  }

  async #dispatch(req: Request): Promise<unknown> {
    const sup = this.#deps.supervisor;
    switch (req.reqFuncName) {
      case 'Login':
        await sup.login(this, req.operationID);
        return '';
      case 'Logout':
        await sup.logout(this, req.operationID);
        return '';
      case 'GetLoginStatus': {
        // Before Login the original failed with 10005; the client's enum has 1 for "logged out".
        const status = sup.loginStatus(this);
        if (status !== 3) return status;
        return sup.call(this, 'GetLoginStatus', [], req.operationID);
      }
      case 'GetLoginUserID':
        // oimws panicked on this call (0-arity method, docs/protocol.md F6); the answer is the connection's user.
        if (sup.loginStatus(this) === 1) throw gatewayError('GW_NOT_LOGGED_IN');
        return this.principal.userID;
      default:
        if (req.spec.access !== 'core') throw gatewayError('GW_INTERNAL', `no handler for ${req.reqFuncName}`);
        return sup.call(this, req.spec.target ?? req.reqFuncName, req.args, req.operationID);
    }
  }

  #onClose(code: number): void {
    this.#closing = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#reservation.release();
    this.#deps.metrics.connections.dec();
    try {
      this.#deps.supervisor.detach(this);
    } catch (err) {
      this.#log.error({ err }, 'detach failed');
    }
    this.#log.info({ code }, 'disconnected');
    const cbs = this.#onClosed;
    this.#onClosed = [];
    for (const cb of cbs) cb();
  }
}
