// A minimal client of the sdkgate wire protocol (what open-im-sdk@3.5.2 sends), for benches:
// no promise-per-request map growth, no retries, nothing that would hide gateway latency.

import WebSocket from 'ws';

export interface Frame {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
  operationID: string;
}

export class WireClient {
  readonly ws: WebSocket;
  readonly userID: string;
  readonly #pending = new Map<string, (f: Frame) => void>();
  readonly #listeners = new Set<(f: Frame) => void>();
  #seq = 0;
  readonly #prefix = Math.random().toString(36).slice(2, 8);

  private constructor(ws: WebSocket, userID: string) {
    this.ws = ws;
    this.userID = userID;
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as Frame;
      const done = f.operationID ? this.#pending.get(f.operationID) : undefined;
      if (done) {
        this.#pending.delete(f.operationID);
        done(f);
      } else {
        for (const l of this.#listeners) l(f);
      }
    });
  }

  /** Connects and waits for the InitSDK event. */
  static async connect(gatewayUrl: string, userID: string, token: string, platformID = 5): Promise<WireClient> {
    const op = `init-${userID}-${Date.now()}`;
    const ws = new WebSocket(`${gatewayUrl}?sendID=${userID}&token=${token}&platformID=${platformID}&operationID=${op}`, { perMessageDeflate: false });
    const client = new WireClient(ws, userID);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('InitSDK timeout')), 10_000);
      client.#listeners.add(function init(f) {
        if (f.event === 'InitSDK') {
          clearTimeout(t);
          client.#listeners.delete(init);
          resolve();
        }
      });
      ws.once('error', (e) => { clearTimeout(t); reject(e); });
      ws.once('unexpected-response', (_req, res) => { clearTimeout(t); reject(new Error(`upgrade refused: ${res.statusCode}`)); });
    });
    return client;
  }

  call(reqFuncName: string, args: readonly unknown[] = [], timeoutMs = 30_000): Promise<Frame> {
    const operationID = `${this.#prefix}${++this.#seq}`;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.#pending.delete(operationID); reject(new Error(`${reqFuncName} timeout`)); }, timeoutMs);
      this.#pending.set(operationID, (f) => { clearTimeout(t); resolve(f); });
      this.ws.send(JSON.stringify({ reqFuncName, operationID, userID: this.userID, data: JSON.stringify(args) }));
    });
  }

  onEvent(l: (f: Frame) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
