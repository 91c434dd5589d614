// A raw message-gateway client for tests: speaks sdkType=js JSON envelopes over `ws`, keeps
// every frame it receives, and bounds every wait with a timeout.

import { PbCoder, type SdkWsProto } from '@openim/protocol';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import WebSocket from 'ws';

export interface RespFrame {
  reqIdentifier: number;
  msgIncr: string;
  operationID: string;
  errCode: number;
  errMsg: string;
  data: string | null;
}

export interface ConnectOpts {
  userID: string;
  token: string;
  platformID?: number;
  isMsgResp?: boolean;
  compression?: boolean;
  /** Replace or drop query parameters (undefined value = drop). */
  query?: Record<string, string | undefined>;
}

export const WAIT_MS = 5000;

function wsUrl(wsAddress: string, o: ConnectOpts): string {
  const q: Record<string, string | undefined> = {
    sendID: o.userID,
    token: o.token,
    platformID: String(o.platformID ?? 5),
    operationID: `op-${randomUUID()}`,
    isBackground: 'false',
    isMsgResp: o.isMsgResp === false ? undefined : 'true',
    sdkType: 'js',
    compression: o.compression ? 'gzip' : undefined,
    ...o.query,
  };
  const parts = Object.entries(q)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return `${wsAddress}/?${parts.join('&')}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export class TestClient {
  readonly ws: WebSocket;
  readonly userID: string;
  readonly frames: RespFrame[] = [];
  readonly texts: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #compression: boolean;
  #waiters: (() => void)[] = [];

  constructor(ws: WebSocket, userID: string, compression: boolean) {
    this.ws = ws;
    this.userID = userID;
    this.#compression = compression;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const text = (compression ? gunzipSync(data) : data).toString('utf8');
        this.frames.push(JSON.parse(text) as RespFrame);
      } else {
        this.texts.push(data.toString('utf8'));
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  }

  /** Wait until `pick` finds something in the frames received so far (checked on every new frame). */
  async waitFor<T>(pick: () => T | undefined, what: string, ms = WAIT_MS): Promise<T> {
    const found = pick();
    if (found !== undefined) return found;
    return withTimeout(
      new Promise<T>((resolve) => {
        const check = () => {
          const v = pick();
          if (v !== undefined) resolve(v);
          else this.#waiters.push(check);
        };
        this.#waiters.push(check);
      }),
      ms,
      what,
    );
  }

  sendReq(reqIdentifier: number, data: Uint8Array | null, opts: { operationID?: string; msgIncr?: string; sendID?: string } = {}): {
    msgIncr: string;
    operationID: string;
  } {
    const msgIncr = opts.msgIncr ?? randomUUID();
    const operationID = opts.operationID ?? `op-${randomUUID()}`;
    const json = JSON.stringify({
      reqIdentifier,
      msgIncr,
      sendID: opts.sendID ?? this.userID,
      operationID,
      data: data ? Buffer.from(data).toString('base64') : null,
    });
    this.sendBinary(Buffer.from(json));
    return { msgIncr, operationID };
  }

  sendBinary(payload: Buffer): void {
    this.ws.send(this.#compression ? gzipSync(payload) : payload, { binary: true });
  }

  async request(reqIdentifier: number, data: Uint8Array | null, opts: { operationID?: string } = {}): Promise<RespFrame> {
    const { msgIncr } = this.sendReq(reqIdentifier, data, opts);
    return this.waitFor(() => this.frames.find((f) => f.msgIncr === msgIncr), `response to ${reqIdentifier}`);
  }

  pushes(): RespFrame[] {
    return this.frames.filter((f) => f.reqIdentifier === 2001);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Connect and, with isMsgResp (the default), wait for the first text frame. */
export async function connect(wsAddress: string, o: ConnectOpts): Promise<{ client: TestClient; first: { errCode: number; errMsg: string } | undefined }> {
  const ws = new WebSocket(wsUrl(wsAddress, o));
  const client = new TestClient(ws, o.userID, o.compression ?? false);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected HTTP ${res.statusCode}`)));
    }),
    WAIT_MS,
    'ws open',
  );
  if (o.isMsgResp === false) return { client, first: undefined };
  const text = await client.waitFor(() => client.texts[0], 'first text frame');
  return { client, first: JSON.parse(text) as { errCode: number; errMsg: string } };
}

/** The HTTP answer of a refused (non-upgraded) handshake. */
export function refusedHandshake(wsAddress: string, o: ConnectOpts): Promise<{ status: number; body: { errCode: number; errMsg: string; errDlt: string } }> {
  const ws = new WebSocket(wsUrl(wsAddress, o));
  ws.on('error', () => {});
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('handshake unexpectedly succeeded'));
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
    }),
    WAIT_MS,
    'handshake refusal',
  );
}

export function decodeData<T>(coder: { decode(b: Uint8Array): T }, f: RespFrame): T {
  return coder.decode(Buffer.from(f.data ?? '', 'base64'));
}

let clientMsgSeq = 0;
export function textMsg(sendID: string, recvID: string, text: string, extra: Partial<SdkWsProto.MsgData> = {}): SdkWsProto.MsgData {
  return {
    sendID,
    recvID,
    groupID: '',
    clientMsgID: `cm-${process.pid}-${++clientMsgSeq}-${randomUUID()}`,
    serverMsgID: '',
    senderPlatformID: 5,
    senderNickname: sendID,
    senderFaceURL: '',
    sessionType: 1,
    msgFrom: 100,
    contentType: 101,
    content: Buffer.from(JSON.stringify({ content: text })),
    seq: 0,
    sendTime: 0,
    createTime: Date.now(),
    status: 1,
    isRead: false,
    options: {},
    offlinePushInfo: undefined,
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
    keyVersion: 0,
    dstUserIDs: [],
    ...extra,
  };
}

export const encodeMsg = (m: SdkWsProto.MsgData) => PbCoder.MsgData.encode(m).finish();
