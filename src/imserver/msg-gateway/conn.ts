// One authenticated message-gateway connection: frame decoding, the 30 s read deadline, text
// heartbeats, request dispatch and server pushes.

import type { WebSocket } from 'ws';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Logger } from '../../log.ts';
import type { ImContext } from '../context.ts';
import { toImError } from '../errs.ts';
import { OutFrame, WS_KICK_ONLINE_MSG, type PushTarget } from '../push.ts';
import { encodeResp, parseReq, type WsResp } from './frames.ts';
import { handlers } from './handlers.ts';
import type { ConnParams } from './params.ts';

export interface ConnLimits {
  /** Silence longer than this closes the connection (OpenIM pongWait, 30 s). */
  readTimeoutMs: number;
  /** Control pings to Web (platform 5) connections (OpenIM pingPeriod, 27 s). */
  pingIntervalMs: number;
  /** Largest decompressed request. */
  maxInflatedBytes: number;
  /** A peer that lets this much output pile up unread is cut off. */
  maxBufferedBytes: number;
  /**
   * The echo of a send to the connection that sent it waits this long after the 1003 response
   * (upstream's push leaves after persistence and its push pipeline, well after the response);
   * a client that learns its send's operationID asynchronously then recognises its echo.
   */
  senderEchoDelayMs: number;
}

const WEB_PLATFORM_ID = 5;
/** Close codes: 1000 normal (kick, logout), 1008 policy (protocol violations), 1001 going away (read deadline). */
const CLOSE_NORMAL = 1000;
const CLOSE_POLICY = 1008;
const CLOSE_GOING_AWAY = 1001;

export class MsgGatewayConn implements PushTarget {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly #ws: WebSocket;
  readonly #im: ImContext;
  readonly #params: ConnParams;
  readonly #limits: ConnLimits;
  readonly #log: Logger;
  readonly #onClose: (c: MsgGatewayConn) => void;
  #readTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Pushes held behind an echo, in order, each with the time it may leave. */
  #held: Array<{ frame: OutFrame; at: number }> = [];
  #heldTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, im: ImContext, params: ConnParams, limits: ConnLimits, log: Logger, onClose: (c: MsgGatewayConn) => void) {
    this.#ws = ws;
    this.#im = im;
    this.#params = params;
    this.#limits = limits;
    this.#log = log;
    this.#onClose = onClose;
    this.userID = params.userID;
    this.platformID = params.platformID;
    this.token = params.token;
  }

  start(): void {
    this.#touch();
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    this.#ws.on('ping', () => this.#touch());
    this.#ws.on('pong', () => this.#touch());
    this.#ws.on('close', () => this.#finish());
    this.#ws.on('error', (e) => {
      this.#log.debug({ err: e.message }, 'ws error');
      this.#finish();
    });
    if (this.platformID === WEB_PLATFORM_ID) {
      this.#pingTimer = setInterval(() => {
        if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
      }, this.#limits.pingIntervalMs);
      this.#pingTimer.unref();
    }
  }

  #touch(): void {
    if (this.#closed) return;
    if (this.#readTimer) this.#readTimer.refresh();
    else {
      this.#readTimer = setTimeout(() => this.close(CLOSE_GOING_AWAY, 'read deadline exceeded'), this.#limits.readTimeoutMs);
      this.#readTimer.unref();
    }
  }

  #onMessage(raw: Buffer, isBinary: boolean): void {
    this.#touch();
    if (this.#closed) return;
    if (!isBinary) return this.#onText(raw);
    let payload = raw;
    if (this.#params.compression) {
      try {
        payload = gunzipSync(raw, { maxOutputLength: this.#limits.maxInflatedBytes });
      } catch {
        return this.close(CLOSE_POLICY, 'bad gzip frame');
      }
    }
    const req = parseReq(payload.toString('utf8'));
    if (!req) return this.close(CLOSE_POLICY, 'malformed request');
    if (req.sendID !== this.userID) return this.close(CLOSE_POLICY, 'sendID mismatch');
    const handler = handlers.get(req.reqIdentifier);
    if (!handler) return this.close(CLOSE_POLICY, `unknown reqIdentifier ${req.reqIdentifier}`);
    const resp: WsResp = { reqIdentifier: req.reqIdentifier, msgIncr: req.msgIncr, operationID: req.operationID, errCode: 0, errMsg: '', data: null };
    let after: (() => void) | undefined;
    let closeAfter = false;
    try {
      const out = handler(this.#im, this, req.data, req.operationID);
      resp.data = out.data;
      after = out.after;
      closeAfter = out.close ?? false;
    } catch (e) {
      const err = toImError(e);
      if (err.code === 500) this.#log.error({ err: e, reqIdentifier: req.reqIdentifier }, 'gateway handler failed');
      resp.errCode = err.code;
      resp.errMsg = err.errDlt ? `${err.errMsg}: ${err.errDlt}` : err.errMsg;
    }
    this.#sendBinary(encodeResp(resp));
    if (after) {
      try {
        after();
      } catch (e) {
        this.#log.error({ err: e }, 'push failed');
      }
    }
    if (closeAfter) this.close(CLOSE_NORMAL, 'logout');
  }

  #onText(raw: Buffer): void {
    let v: unknown;
    try {
      v = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.close(CLOSE_POLICY, 'malformed text frame');
    }
    if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'ping') {
      this.#ws.send(JSON.stringify({ type: 'pong', body: null }));
      return;
    }
    this.close(CLOSE_POLICY, 'unsupported text frame');
  }

  /** False (and the connection is cut) when the peer is not reading its frames. */
  #writable(): boolean {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return false;
    if (this.#ws.bufferedAmount <= this.#limits.maxBufferedBytes) return true;
    this.#log.warn({ userID: this.userID, platformID: this.platformID }, 'slow consumer, terminating');
    this.#finish();
    this.#ws.terminate();
    return false;
  }

  #sendBinary(text: string): void {
    if (!this.#writable()) return;
    const buf = Buffer.from(text, 'utf8');
    this.#ws.send(this.#params.compression ? gzipSync(buf) : buf, { binary: true });
  }

  /**
   * An echo is held for senderEchoDelayMs; pushes that come after it wait behind it, so this
   * connection still gets its pushes in order. Other connections are never held.
   */
  sendFrame(frame: OutFrame, echo = false): void {
    const delay = echo ? this.#limits.senderEchoDelayMs : 0;
    if (delay <= 0 && this.#held.length === 0) return this.#write(frame);
    this.#held.push({ frame, at: Date.now() + delay });
    this.#release();
  }

  #release(): void {
    const now = Date.now();
    while (this.#held.length && this.#held[0]!.at <= now) this.#write(this.#held.shift()!.frame);
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    if (this.#held.length && !this.#closed) this.#heldTimer = setTimeout(() => this.#release(), this.#held[0]!.at - now);
  }

  #write(frame: OutFrame): void {
    if (!this.#writable()) return;
    this.#ws.send(this.#params.compression ? frame.gzipped() : frame.json, { binary: true });
  }

  kick(): void {
    this.#write(new OutFrame(WS_KICK_ONLINE_MSG, this.#params.operationID, null));
    this.close(CLOSE_NORMAL, 'kicked');
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#log.debug({ userID: this.userID, platformID: this.platformID, reason }, 'closing connection');
    this.#finish();
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.terminate();
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.#ws.terminate(), 2000).unref();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#readTimer) clearTimeout(this.#readTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    clearTimeout(this.#heldTimer);
    this.#held = [];
    this.#onClose(this);
  }
}
