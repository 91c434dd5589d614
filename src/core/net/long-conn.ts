// The long connection to the OpenIM message gateway (docs/protocol.md "Message gateway"):
// sdkType=js + isMsgResp=true, the first text frame is the auth result, requests are binary JSON
// envelopes correlated by msgIncr with a deadline, a text heartbeat, and reconnects with back-off.
// A kick (2002) or a token error ends it for good; everything else is retried.

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { CoreLogger } from '../contract.ts';
import { CodedError, SdkCode } from '../errors.ts';
import { limitExceeded, WS_MAX_FRAME_BYTES } from '../limits.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { b64, decodeResponse, encodeRequest, ReqId, type WsResponse } from './codec.ts';
import { isTokenError } from './rest.ts';

export interface LongConnEvents {
  connecting(): void;
  connected(): void;
  connectFailed(code: number, message: string): void;
  /** Server-initiated frames (2001 pushes and friends). */
  push(frame: WsResponse): void;
  kicked(): void;
  tokenError(code: number, message: string): void;
}

export interface LongConnOptions {
  readonly wsAddress: string;
  readonly userID: string;
  readonly platformID: number;
  readonly token: () => string;
  /** Sent as `isBackground` on every dial. */
  readonly background?: () => boolean;
  readonly events: LongConnEvents;
  readonly log: CoreLogger;
  readonly heartbeatMs?: number;
  readonly requestTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

function encodeFrame(userID: string, reqIdentifier: number, data: Uint8Array, operationID: string, nonce: string): Buffer {
  return encodeRequest({ reqIdentifier, msgIncr: `${userID}_${nonce}`, sendID: userID, operationID, data: b64(data) });
}

/** The bytes `request()` would put on the wire for this request (the nonce has a fixed length). */
export function frameBytes(userID: string, reqIdentifier: number, data: Uint8Array, operationID: string): number {
  return encodeFrame(userID, reqIdentifier, data, operationID, '0'.repeat(16)).byteLength;
}

interface Pending {
  resolve(r: WsResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

type State = 'idle' | 'connecting' | 'open' | 'stopped';

export class LongConn {
  readonly #o: LongConnOptions;
  #ws: WebSocket | null = null;
  #state: State = 'idle';
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #missedPongs = 0;
  /** The server sent a control ping since the last heartbeat tick (see #startHeartbeat). */
  #serverPinged = false;
  #pending = new Map<string, Pending>();
  #openWaiters: { resolve(): void; reject(e: Error): void }[] = [];

  constructor(o: LongConnOptions) {
    this.#o = o;
  }

  get connected(): boolean {
    return this.#state === 'open';
  }

  get stopped(): boolean {
    return this.#state === 'stopped';
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#dial();
  }

  /** Drop the current socket (if any) and dial again now; used on NetworkStatusChanged. */
  reconnectNow(): void {
    if (this.#state === 'stopped') return;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#attempt = 0;
      this.#dial();
      return;
    }
    if (this.#state === 'open') this.#ws?.terminate();
  }

  /** Resolves when connected (or rejects after `timeoutMs` / on stop). */
  waitOpen(timeoutMs: number): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#state === 'stopped') return Promise.reject(new CodedError(SdkCode.LoginOut, 'connection stopped'));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.#openWaiters = this.#openWaiters.filter((x) => x !== w);
        reject(new CodedError(SdkCode.NetworkTimeout, 'not connected to the message gateway'));
      }, timeoutMs);
      this.#openWaiters.push(w);
    });
  }

  /** Sends one request and resolves with the protobuf payload of its response. */
  async request(reqIdentifier: number, data: Uint8Array, operationID: string, timeoutMs?: number): Promise<Uint8Array | null> {
    const limit = timeoutMs ?? this.#o.requestTimeoutMs ?? 10_000;
    const nonce = randomBytes(8).toString('hex');
    const msgIncr = `${this.#o.userID}_${nonce}`;
    const frame = encodeFrame(this.#o.userID, reqIdentifier, data, operationID, nonce);
    // The server would close the connection on it, failing every request in flight there.
    if (frame.byteLength > WS_MAX_FRAME_BYTES) throw limitExceeded(`the ${reqIdentifier} request`, frame.byteLength, WS_MAX_FRAME_BYTES, 'bytes');
    await this.waitOpen(limit);
    const ws = this.#ws;
    if (!ws) throw new CodedError(SdkCode.Network, 'not connected');
    const resp = await new Promise<WsResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(msgIncr);
        reject(new CodedError(SdkCode.NetworkTimeout, `request ${reqIdentifier} timed out`));
      }, limit);
      this.#pending.set(msgIncr, { resolve, reject, timer });
      const failed = (err: Error) => {
        const p = this.#pending.get(msgIncr);
        if (!p) return;
        this.#pending.delete(msgIncr);
        clearTimeout(p.timer);
        reject(new CodedError(SdkCode.Network, `send failed: ${err.message}`));
      };
      try {
        ws.send(frame, { binary: true }, (err) => {
          if (err) failed(err);
        });
      } catch (e) {
        failed(e as Error);
      }
    });
    if (resp.errCode !== 0) {
      if (isTokenError(resp.errCode)) this.#fatal(() => this.#o.events.tokenError(resp.errCode, resp.errMsg));
      throw new CodedError(resp.errCode, resp.errMsg || `request ${reqIdentifier} failed`);
    }
    return resp.data;
  }

  /** Stops for good: no more reconnects; pending requests fail. Idempotent. */
  stop(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#stopHeartbeat();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.close(1000);
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.#failPending(new CodedError(SdkCode.LoginOut, 'connection closed'));
    for (const w of this.#openWaiters.splice(0)) w.reject(new CodedError(SdkCode.LoginOut, 'connection closed'));
  }

  #url(): string {
    const q = [
      `sendID=${encodeURIComponent(this.#o.userID)}`,
      `token=${encodeURIComponent(this.#o.token())}`,
      `platformID=${this.#o.platformID}`,
      `operationID=${randomBytes(8).toString('hex')}`,
      `isBackground=${this.#o.background?.() === true}`,
      'isMsgResp=true',
      'sdkType=js',
    ];
    return `${this.#o.wsAddress}${this.#o.wsAddress.includes('?') ? '&' : '?'}${q.join('&')}`;
  }

  #dial(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    this.#o.events.connecting();
    let ws: WebSocket;
    try {
      // No permessage-deflate: a server that accepted it would cost each idle session a zlib
      // context pair (hundreds of KB); OpenIM's frames are small protobuf envelopes.
      ws = new WebSocket(this.#url(), { handshakeTimeout: this.#o.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false });
    } catch (e) {
      this.#o.events.connectFailed(SdkCode.Network, (e as Error).message);
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    let authed = false;
    let reported = false;
    const authTimer = setTimeout(() => {
      if (!authed) ws.terminate();
    }, this.#o.handshakeTimeoutMs ?? 10_000);

    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        const code = parseErrCode(body);
        if (code !== undefined && isTokenError(code)) {
          this.#fatal(() => this.#o.events.tokenError(code, 'token rejected'));
        } else {
          this.#o.events.connectFailed(code ?? SdkCode.Network, `upgrade refused: HTTP ${res.statusCode}`);
        }
        reported = true;
        ws.terminate();
      });
    });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      this.#missedPongs = 0;
      if (!isBinary) {
        const text = raw.toString('utf8');
        if (authed) return; // pong
        let r: { errCode?: number; errMsg?: string; type?: string };
        try {
          r = JSON.parse(text) as typeof r;
        } catch {
          return;
        }
        if (r.type === 'pong') return;
        authed = true;
        clearTimeout(authTimer);
        const code = r.errCode ?? 0;
        if (code === 0) {
          this.#onOpen();
        } else if (isTokenError(code)) {
          this.#fatal(() => this.#o.events.tokenError(code, r.errMsg ?? ''));
        } else {
          this.#o.events.connectFailed(code, r.errMsg ?? '');
          reported = true;
          ws.terminate();
        }
        return;
      }
      let frame: WsResponse;
      try {
        frame = decodeResponse(raw);
      } catch (e) {
        this.#o.log.warn({ err: (e as Error).message }, 'core: undecodable frame');
        return;
      }
      this.#onFrame(frame);
    });
    ws.on('ping', () => {
      this.#missedPongs = 0;
      this.#serverPinged = true;
    });
    ws.on('error', (e) => {
      this.#o.log.debug({ err: e.message }, 'core: ws error');
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#stopHeartbeat();
      this.#failPending(new CodedError(SdkCode.Network, 'connection lost'));
      if (this.#state === 'stopped') return;
      this.#o.log.info({ authed }, 'core: message gateway connection closed, redialling');
      if (!authed && !reported) this.#o.events.connectFailed(SdkCode.Network, 'connection closed before auth');
      this.#scheduleRetry();
    });
  }

  #onOpen(): void {
    this.#o.log.info({ attempts: this.#attempt }, 'core: connected to the message gateway');
    this.#state = 'open';
    this.#attempt = 0;
    this.#startHeartbeat();
    this.#o.events.connected();
    for (const w of this.#openWaiters.splice(0)) w.resolve();
  }

  #onFrame(f: WsResponse): void {
    if (f.msgIncr) {
      const p = this.#pending.get(f.msgIncr);
      if (p) {
        this.#pending.delete(f.msgIncr);
        clearTimeout(p.timer);
        p.resolve(f);
        return;
      }
    }
    if (f.reqIdentifier === ReqId.KickOnline) {
      this.#fatal(() => this.#o.events.kicked());
      return;
    }
    this.#o.events.push(f);
  }

  #fatal(report: () => void): void {
    if (this.#state === 'stopped') return;
    this.stop();
    report();
  }

  #scheduleRetry(): void {
    if (this.#state === 'stopped' || this.#retryTimer) return;
    this.#state = 'connecting';
    const delay = backoffDelay(this.#attempt++, this.#o.backoff ?? { minMs: 500, maxMs: 30_000 });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#dial();
    }, delay);
  }

  /**
   * Text `{"type":"ping"}` every 20 s (the server drops a connection it read nothing from for
   * 30 s); two without any frame back mean the link is dead. A tick is skipped when the server
   * pinged us since the last one (it does, every 27 s, on Web connections): `ws` answered with a
   * pong, which resets the server's read deadline, and the ping proves the link to us. Every
   * heartbeat wakes an otherwise idle session worker twice, so this is most of its idle cost.
   */
  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#missedPongs = 0;
    this.#serverPinged = false;
    this.#heartbeat = setInterval(() => {
      const ws = this.#ws;
      if (!ws) return;
      if (this.#missedPongs >= 2) {
        this.#o.log.info({}, 'core: heartbeat lost, reconnecting');
        ws.terminate();
        return;
      }
      if (this.#serverPinged) {
        this.#serverPinged = false;
        return;
      }
      this.#missedPongs++;
      ws.send('{"type":"ping"}', () => {});
    }, this.#o.heartbeatMs ?? 20_000);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #failPending(e: Error): void {
    for (const [k, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.#pending.delete(k);
    }
  }
}

function parseErrCode(body: string): number | undefined {
  try {
    const o = JSON.parse(body) as { errCode?: unknown };
    return typeof o.errCode === 'number' ? o.errCode : undefined;
  } catch {
    return undefined;
  }
}
