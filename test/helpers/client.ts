// Clients for gateway tests: the real open-im-sdk@3.5.2 (unmodified) and a raw `ws` client that
// sees every frame, plus a raw upgrade request to read HTTP rejections.

import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { CbEvents, OpenIMSDK, type WsResponse } from 'open-im-sdk';
import WebSocket from 'ws';

export interface WireFrame {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
  operationID: string;
}

export function until<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export function upgradeUrl(base: string, q: { sendID?: string; token?: string; platformID?: number | string; operationID?: string }): string {
  // Built exactly like open-im-sdk@3.5.2: no encoding.
  const parts = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `${base}/?${parts.join('&')}`;
}

/** A raw client that records every frame. */
export class RawClient {
  readonly frames: WireFrame[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  #waiters: Array<{ pred: (f: WireFrame) => boolean; resolve: (f: WireFrame) => void }> = [];
  #closeWaiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as WireFrame;
      this.frames.push(f);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.#closeWaiters) w();
    });
  }

  /** Open and wait for the InitSDK greeting. */
  static async open(url: string, opts: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    const c = new RawClient(ws);
    const init = c.next((f) => f.event === 'InitSDK');
    // A refusal in band opens the socket, says why and closes: fail at once, not at a timeout.
    const refused = new Promise<never>((_, reject) => ws.once('close', (code) => reject(Object.assign(new Error(`closed ${code} before InitSDK`), { code, frames: c.frames }))));
    refused.catch(() => {});
    await until(Promise.race([refused, new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    })]), 5_000, 'ws open');
    await until(Promise.race([init, refused]), 5_000, 'InitSDK');
    return c;
  }

  next(pred: (f: WireFrame) => boolean, ms = 5_000): Promise<WireFrame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return until(new Promise((resolve) => this.#waiters.push({ pred, resolve })), ms, 'a frame');
  }

  sendRaw(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  /** Send a request and wait for the response with its operationID. */
  async request(reqFuncName: string, args: unknown[], opts: { operationID?: string; userID?: string } = {}): Promise<WireFrame> {
    const operationID = opts.operationID ?? randomBytes(6).toString('hex');
    const frame: Record<string, unknown> = { reqFuncName, operationID, data: JSON.stringify(args) };
    if (opts.userID !== undefined) frame.userID = opts.userID;
    this.ws.send(JSON.stringify(frame));
    return this.next((f) => f.operationID === operationID && f.event !== 'InitSDK');
  }

  whenClosed(ms = 5_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return until(new Promise((resolve) => this.#closeWaiters.push(() => resolve(this.closed!))), ms, 'close');
  }

  close(): Promise<unknown> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close();
    return this.whenClosed().catch(() => this.ws.terminate());
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Send a WebSocket upgrade request and return the HTTP answer (rejects if it upgrades). */
export function rawUpgrade(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return until(new Promise((resolve, reject) => {
    const req = httpRequest(url.replace(/^ws/, 'http'), {
      method,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('unexpectedly upgraded'));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  }), 10_000, 'upgrade answer');
}

export interface InBandRefusal {
  /** Every text frame, parsed, in order. */
  frames: WireFrame[];
  code: number;
  reason: string;
  /** ms from the open event to the close. */
  closedAfterMs: number;
}

/** Open a socket the gateway refuses in band and collect what it says until it closes. */
export function inBandRefusal(url: string, headers: Record<string, string> = {}): Promise<InBandRefusal> {
  return until(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    const frames: WireFrame[] = [];
    let opened = 0;
    ws.on('unexpected-response', (_req, res) => reject(new Error(`refused before the upgrade: HTTP ${res.statusCode}`)));
    ws.on('open', () => (opened = performance.now()));
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as WireFrame));
    ws.on('close', (code, reason) => resolve({ frames, code, reason: reason.toString(), closedAfterMs: performance.now() - opened }));
    ws.on('error', reject);
  }), 10_000, 'an in-band refusal');
}

/** The real client. */
export function newSdk(): OpenIMSDK {
  return new OpenIMSDK();
}

/** A response or callback of the real client; `T` is the `data` type where the test knows it. */
export type SdkResponse<T = unknown> = WsResponse<T>;

/**
 * Await a call of the real client (bounded) and type its `data` as the test knows it: the
 * client's own declared types do not cover the fixture cores' answers or raw JSON.
 */
export function answer<T = unknown>(p: Promise<unknown>, ms = 15_000, what = 'client call'): Promise<SdkResponse<T>> {
  return until(p as Promise<SdkResponse<T>>, ms, what);
}

/** Await a client promise, returning its settled response (the client rejects with the frame). */
export async function settle<T = unknown>(p: Promise<unknown>, ms = 10_000): Promise<{ ok: boolean; res: SdkResponse<T> }> {
  try {
    return { ok: true, res: await answer<T>(p, ms) };
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('timed out')) throw e;
    return { ok: false, res: e as SdkResponse<T> };
  }
}

/** Close the real client's socket (it has no public close besides logout). */
export function dropSdk(sdk: OpenIMSDK): void {
  const m = (sdk as unknown as { wsManager?: { close(): void } }).wsManager;
  m?.close();
}

/**
 * Stop the real client's auto-reconnect (5 s, 10 attempts) so a test that closes the server does
 * not leave reconnect timers behind. Touches only the client's retry switch, not the protocol.
 */
export function noReconnect(sdk: OpenIMSDK): void {
  const m = (sdk as unknown as { wsManager?: { shouldReconnect: boolean; maxReconnectAttempts: number } }).wsManager;
  if (m) {
    m.shouldReconnect = false;
    m.maxReconnectAttempts = 0;
  }
}

export interface Heard {
  readonly event: string;
  readonly data: unknown;
  readonly errCode: number;
  /** Arrival order across every recorder of the process (compare tabs). */
  readonly at: number;
  /** Arrival time, Date.now(). */
  readonly t: number;
}

let heardSeq = 0;

/** Every callback one real client gets, in order. */
export class CallbackLog {
  readonly heard: Heard[] = [];
  #wake: Array<() => void> = [];

  constructor(sdk: OpenIMSDK) {
    for (const ev of Object.values(CbEvents)) {
      sdk.on(ev, (r: { data: unknown; errCode?: number }) => {
        this.heard.push({ event: ev, data: r.data, errCode: r.errCode ?? 0, at: ++heardSeq, t: Date.now() });
        for (const w of this.#wake.splice(0)) w();
      });
    }
  }

  names(from = 0): string[] {
    return this.heard.slice(from).map((h) => h.event);
  }

  count(event: string, from = 0): number {
    return this.heard.slice(from).filter((h) => h.event === event).length;
  }

  /** The callbacks of `event` (from index `from`) whose data satisfies `pred`. */
  all<T = unknown>(event: string, pred: (data: T) => boolean = () => true, from = 0): Heard[] {
    return this.heard.slice(from).filter((h) => h.event === event && pred(h.data as T));
  }

  /** The first callback (from index `from`) matching; rejects after `ms`. */
  async waitFor<T = unknown>(event: string, pred: (data: T) => boolean = () => true, ms = 10_000, from = 0): Promise<Heard> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.heard.slice(from).find((h) => h.event === event && pred(h.data as T));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${event} within ${ms} ms; heard ${this.names(from).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Make the real client redial after `ms` instead of 5 s (its retry timer, not the protocol). */
export function fastReconnect(sdk: OpenIMSDK, ms = 100): void {
  const m = (sdk as unknown as { wsManager?: { reconnectInterval: number } }).wsManager;
  if (m) m.reconnectInterval = ms;
}
