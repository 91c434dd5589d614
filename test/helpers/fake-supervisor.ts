// A small in-memory Supervisor for gateway tests: sessions keyed by (userID, platformID),
// Login attaches, every logged-in client of a session gets its events, calls run a handler.
// Test code only; the product always uses src/supervisor.

import { gatewayError } from '../../src/errors.ts';
import type { GatewayOptions } from '../../src/options.ts';
import type { FaultKind } from '../../src/protocol.ts';
import type { SessionClient, SessionInfo, Supervisor } from '../../src/supervisor/types.ts';

export type Handler = (args: readonly unknown[], ctx: { client: SessionClient; operationID: string; fn: string }) => unknown;

interface FakeSession {
  readonly userID: string;
  readonly platformID: number;
  readonly clients: Set<SessionClient>;
  restarts: number;
  state: SessionInfo['state'];
}

export interface CallRecord {
  readonly clientId: string;
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly operationID: string;
}

export class FakeSupervisor implements Supervisor {
  readonly sessions = new Map<string, FakeSession>();
  readonly calls: CallRecord[] = [];
  readonly logins: Array<{ clientId: string; userID: string; token: string; operationID: string }> = [];
  readonly detached: string[] = [];
  readonly faults: Array<{ userID: string; platformID: number; kind: FaultKind }> = [];
  handlers: Record<string, Handler> = {
    GetTotalUnreadMsgCount: () => 7,
    GetLoginStatus: () => 3,
    CreateTextMessage: ([text]) => ({ clientMsgID: 'c1', contentType: 101, textElem: { content: text } }),
    MarkConversationMessageAsRead: () => undefined,
    SetConversationDraft: () => '',
  };
  drained = false;
  /** What maxInFlight() answers for every user (the option defaults: 8 running + 256 queued). */
  inFlightCap = 8 + 256;
  #inflight = new Set<Promise<unknown>>();

  #key(userID: string, platformID: number): string {
    return `${userID}/${platformID}`;
  }

  #sessionOf(client: SessionClient): FakeSession | undefined {
    const s = this.sessions.get(this.#key(client.principal.userID, client.principal.platformID));
    return s && s.clients.has(client) ? s : undefined;
  }

  async login(client: SessionClient, operationID: string): Promise<void> {
    const { userID, platformID, token } = client.principal;
    const key = this.#key(userID, platformID);
    let s = this.sessions.get(key);
    if (!s) {
      s = { userID, platformID, clients: new Set(), restarts: 0, state: 'ready' };
      this.sessions.set(key, s);
    }
    s.clients.add(client);
    this.logins.push({ clientId: client.id, userID, token, operationID });
  }

  async call(client: SessionClient, fn: string, args: readonly unknown[], operationID: string): Promise<unknown> {
    if (!this.#sessionOf(client)) throw gatewayError('GW_NOT_LOGGED_IN');
    this.calls.push({ clientId: client.id, fn, args, operationID });
    const h = this.handlers[fn];
    if (!h) return { fn, args };
    const p = Promise.resolve().then(() => h(args, { client, operationID, fn }));
    this.#inflight.add(p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(p);
    }
  }

  async logout(client: SessionClient, _operationID: string): Promise<void> {
    const s = this.#sessionOf(client);
    if (!s) return;
    s.clients.delete(client);
    if (s.clients.size === 0) this.sessions.delete(this.#key(s.userID, s.platformID));
  }

  detach(client: SessionClient): void {
    this.detached.push(client.id);
    const s = this.#sessionOf(client);
    if (s) s.clients.delete(client);
  }

  loginStatus(client: SessionClient): 1 | 2 | 3 {
    return this.#sessionOf(client) ? 3 : 1;
  }

  maxInFlight(_userID: string): number {
    return this.inFlightCap;
  }

  /** Deliver a callback to every logged-in client of (userID, platformID). */
  emit(userID: string, platformID: number, event: string, data: string): number {
    const s = this.sessions.get(this.#key(userID, platformID));
    if (!s) return 0;
    for (const c of s.clients) c.sendEvent(event, data, 0, '');
    return s.clients.size;
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => this.#info(s));
  }

  get(userID: string, platformID: number): SessionInfo | undefined {
    const s = this.sessions.get(this.#key(userID, platformID));
    return s && this.#info(s);
  }

  async restart(userID: string, platformID: number): Promise<boolean> {
    const s = this.sessions.get(this.#key(userID, platformID));
    if (!s) return false;
    s.restarts++;
    return true;
  }

  async unquarantine(userID: string, platformID: number): Promise<boolean> {
    const s = this.sessions.get(this.#key(userID, platformID));
    if (!s) return false;
    s.state = 'ready';
    return true;
  }

  fault(userID: string, platformID: number, kind: FaultKind): boolean {
    if (!this.sessions.has(this.#key(userID, platformID))) return false;
    this.faults.push({ userID, platformID, kind });
    return true;
  }

  chaosReport(): { enabled: false } {
    return { enabled: false };
  }

  /** Tests set it to make /readyz report the capacity. */
  full = false;
  reloads: GatewayOptions[] = [];

  atCapacity(): boolean {
    return this.full;
  }

  reload(options: GatewayOptions): void {
    this.reloads.push(options);
  }

  async drain(timeoutMs: number): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.#inflight]), deadline]);
    this.drained = true;
  }

  #info(s: FakeSession): SessionInfo {
    return {
      sessionId: this.#key(s.userID, s.platformID),
      userID: s.userID,
      platformID: s.platformID,
      state: s.state,
      connections: s.clients.size,
      restarts: s.restarts,
      lastExit: null,
      threadId: null,
      isolation: 'thread',
      pid: null,
      heapUsed: null,
      heapLimit: null,
      queueDepth: 0,
      inFlight: this.#inflight.size,
      startedAt: 0,
      idleSince: null,
    };
  }
}
