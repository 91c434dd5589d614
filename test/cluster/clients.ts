// Real clients (open-im-sdk@3.5.2, unmodified) for the cluster test, each from its own loopback
// address, so nginx forwards one client address per user as it would for users on the internet.
//
// 3.5.2 uses the global WebSocket ("web" platform). Here that is a `ws` WebSocket bound to the
// user's address (127.0.0.x; Linux routes all of 127/8 to lo): the same browser-style API
// (onopen, onmessage with string data, onclose, readyState, send, close) the client uses.
// It also lets the test see each socket open and close, and drop one (a network blip).

import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import WebSocket from 'ws';
import { newSdk, noReconnect, until } from '../helpers/client.ts';

/** Login refusals that say "try later": upstream unreachable, draining, connection cap, restarting, capacity, a full login queue. */
const RETRY_LOGIN = new Set([20036, 20013, 20034, 20010, 20014, 20019]);

const addressOf = new Map<string, string>();
const socketsOf = new Map<string, Set<WebSocket>>();
const closesOf = new Map<string, number[]>();
const opensOf = new Map<string, number[]>();

function userOf(url: string): string {
  return new URL(url).searchParams.get('sendID') ?? '';
}

class BoundWebSocket extends WebSocket {
  constructor(url: string | URL) {
    const user = userOf(String(url));
    super(url, { perMessageDeflate: false, localAddress: addressOf.get(user) });
    let set = socketsOf.get(user);
    if (!set) socketsOf.set(user, (set = new Set()));
    set.add(this);
    this.on('open', () => opensOf.get(user)?.push(Date.now()));
    this.on('close', () => {
      set.delete(this);
      closesOf.get(user)?.push(Date.now());
    });
  }

  /**
   * A browser delivers each WebSocket event as its own task, so promise continuations run in
   * between (3.5.2's login() registers its Login right after `open`, before any message). `ws`
   * emits a handshake's open and the frames that came with it in one go; queue them as a
   * browser would, in order.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'open' || event === 'message' || event === 'close' || event === 'error') {
      setImmediate(() => super.emit(event, ...args));
      return true;
    }
    return super.emit(event, ...args);
  }
}

/** Make open-im-sdk's sockets come from per-user loopback addresses; returns the restore. */
export function installBoundWebSocket(): () => void {
  const g = globalThis as { WebSocket?: unknown };
  const before = g.WebSocket;
  g.WebSocket = BoundWebSocket;
  return () => {
    g.WebSocket = before;
  };
}

/** The n-th user's loopback address: 127.0.1.2, 127.0.1.3, ... (254 per /24). */
function loopbackAddress(n: number): string {
  return `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;
}

/** Terminate the user's sockets, as a network blip would (the client redials 5 s later). */
export function dropSockets(userID: string): void {
  for (const ws of socketsOf.get(userID) ?? []) ws.terminate();
}

export interface Received {
  readonly text: string;
  readonly clientMsgID: string;
  readonly at: number;
}

export class ClusterUser {
  readonly userID: string;
  readonly sdk: OpenIMSDK;
  readonly events: Array<{ event: string; at: number }> = [];
  readonly received: Received[] = [];
  /** When a Login (the first, or one 3.5.2 re-sent after a redial) succeeded. */
  readonly logins: number[] = [];
  /** Logins 3.5.2 re-sent after a redial that were refused (it does not observe them itself). */
  readonly refusedRelogins: unknown[] = [];

  constructor(userID: string, index: number) {
    this.userID = userID;
    addressOf.set(userID, loopbackAddress(index));
    closesOf.set(userID, []);
    opensOf.set(userID, []);
    this.sdk = newSdk();
    const inner = this.sdk as unknown as { sendRequest: (r: { reqFuncName: string }) => Promise<unknown> };
    const send = inner.sendRequest;
    // 3.5.2 re-sends Login after a redial and drops the promise: keep its refusal here instead
    // of letting it become an unhandled rejection.
    inner.sendRequest = (r) => {
      const p = send(r);
      if (r.reqFuncName === 'Login') p.then(() => this.logins.push(Date.now()), (e: unknown) => this.refusedRelogins.push(e));
      return p;
    };
    for (const ev of Object.values(CbEvents)) this.sdk.on(ev, () => this.events.push({ event: ev, at: Date.now() }));
    this.sdk.on(CbEvents.OnRecvNewMessages, ({ data }: { data: unknown }) => {
      const shown = new Set<string>();
      for (const m of data as Array<{ textElem?: { content: string }; clientMsgID: string; sendID: string }>) {
        this.received.push({ text: m.textElem?.content ?? '', clientMsgID: m.clientMsgID, at: Date.now() });
        shown.add(singleChatID(this.userID, m.sendID));
      }
      // An open chat marks what it shows as read (as the demo does), once per conversation and
      // batch, so the server's read state says what this client has seen.
      for (const id of shown) void this.sdk.markConversationMessageAsRead(id).catch(() => undefined);
    });
  }

  /** `waitSync`: also wait for the first sync to end (what the client reports after is new traffic). */
  async login(token: string, apiAddr: string, wsAddr: string, ms = 60_000, waitSync = true): Promise<void> {
    const since = Date.now();
    // An app retries a login refused with a "try later" code (README error table); on a loaded
    // machine a storm of logins can make parse_token time out (20036).
    for (let attempt = 1; ; attempt++) {
      try {
        const r = (await until(this.sdk.login({ userID: this.userID, token, platformID: 5, apiAddr, wsAddr }), ms, `${this.userID} login`)) as { errCode: number };
        // 3.5.2 resolves "login repeat" instead of rejecting.
        if (r.errCode !== 0) throw Object.assign(new Error(`${this.userID} login answered ${r.errCode}`), { errCode: r.errCode });
        break;
      } catch (e) {
        const code = (e as { errCode?: unknown }).errCode;
        if (attempt >= 5 || !RETRY_LOGIN.has(code as number)) throw e;
        this.loginRetries++;
        // A refusal after the upgrade (not in band) leaves 3.5.2's socket manager in place, and
        // its next login() would answer "login repeat": a Logout resets it.
        if ((this.sdk as unknown as { wsManager?: unknown }).wsManager) await until(this.sdk.logout(), 10_000, 'logout').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1_000 * attempt));
      }
    }
    if (waitSync) await this.waitEvent('OnSyncServerFinish', since, ms);
    // 3.5.2 redials with `setTimeout(() => this.connect())` and drops the promise, which rejects
    // when the redial fails (say, nginx found no node): in a browser a console error, here an
    // unhandled rejection. Observe it; the client redials again on its own.
    const m = (this.sdk as unknown as { wsManager?: { connect: () => Promise<void> } }).wsManager;
    if (m) {
      const connect = m.connect;
      m.connect = () => {
        const p = connect();
        p.catch(() => this.failedRedials++);
        return p;
      };
    }
  }

  /** Logins refused with a retryable code and tried again. */
  loginRetries = 0;

  /** Redials that failed (the client tries again 5 s later, up to 10 times). */
  failedRedials = 0;

  /** Socket opens seen so far (ms since epoch). */
  opens(): readonly number[] {
    return opensOf.get(this.userID) ?? [];
  }

  /** Socket closes seen so far (ms since epoch). */
  closes(): readonly number[] {
    return closesOf.get(this.userID) ?? [];
  }

  connected(): boolean {
    return [...(socketsOf.get(this.userID) ?? [])].some((ws) => ws.readyState === WebSocket.OPEN);
  }

  /** The first `event` at or after `since` (ms since epoch). */
  async waitEvent(event: string, since: number, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.events.find((e) => e.event === event && e.at >= since);
      if (hit) return hit.at;
      if (Date.now() > deadline) throw new Error(`${this.userID}: no ${event} since ${new Date(since).toISOString()} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Send a text; resolves with its clientMsgID once the gateway acknowledged it. */
  async send(to: string, text: string, ms = 20_000): Promise<string> {
    const created = (await until(this.sdk.createTextMessage(text), ms, 'create')).data;
    await until(this.sdk.sendMessage({ recvID: to, groupID: '', message: created }), ms, `${this.userID} send`);
    return created.clientMsgID;
  }

  async waitReceived(text: string, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.find((r) => r.text === text);
      if (hit) return hit.at;
      if (Date.now() > deadline) throw new Error(`${this.userID}: "${text}" not received within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async logout(): Promise<void> {
    await until(this.sdk.logout(), 20_000, `${this.userID} logout`).catch(() => undefined);
  }

  /** Stop redialling (end of the test). */
  stop(): void {
    noReconnect(this.sdk);
    dropSockets(this.userID);
  }
}

/** OpenIM's single-chat conversationID: si_ + the two userIDs sorted. */
function singleChatID(a: string, b: string): string {
  return `si_${[a, b].sort().join('_')}`;
}
