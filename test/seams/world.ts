// One seed's world: two users with real clients (A with one tab, B with two), REST-only actors
// who act on them, the groups and relations the events need, and the tabs' callback logs.
// Users are named after the seed, so seeds share one stack without seeing each other.

import type { MessageItem, OpenIMSDK } from 'open-im-sdk';
import { CallbackLog, dropSdk, newSdk, noReconnect, settle, until } from '../helpers/client.ts';
import type { Stack } from '../helpers/gateway.ts';
import { imPost } from '../helpers/im.ts';
import type { Rng } from './rng.ts';

/** A, B have real clients; the others act through REST (another device, or another user). */
const ROLES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'l', 'm', 'r'] as const;
export type Role = (typeof ROLES)[number];
export type ClientRole = 'a' | 'b';
const GROUPS = ['gg', 'gh', 'gk', 'gm', 'gn', 'gp', 'gq'] as const;
export type GroupRole = (typeof GROUPS)[number];

export interface Tab {
  readonly name: string;
  readonly role: ClientRole;
  readonly sdk: OpenIMSDK;
  readonly log: CallbackLog;
  /** Date.now() when Login was sent / answered; null while not logged in. */
  sentAt: number;
  attachedAt: number | null;
  /** When the harness closed it for good (a reload); null if it stays to the end. */
  leftAt: number | null;
  /** How often its socket was cut and the client redialled (each brings one more OnConnectSuccess). */
  redials: number;
  /**
   * [from, to] around each cut of its socket: from just before the cut until the gateway saw the
   * connection gone. A callback written to the socket then may have died with it, and no server
   * can know (the client acknowledges nothing).
   */
  readonly cuts: Array<readonly [number, number]>;
}

/** A message some tab sent through its client, and whether the send was answered with success. */
export interface OwnSend {
  readonly tab: string;
  readonly clientMsgID: string;
  ok: boolean;
}

const REST_RETRY_MS = 100;
const REST_DEADLINE_MS = 20_000;

export class World {
  readonly seed: number;
  /** The seam this seed runs (seams.ts), set by the runner. */
  seam = '';
  readonly rng: Rng;
  readonly stack: Stack;
  readonly users = {} as Record<Role, string>;
  readonly groups = {} as Record<GroupRole, string>;
  readonly tabs: Tab[] = [];
  readonly ownSends: OwnSend[] = [];
  /** Facts the events' setup left for their fire/expect steps. */
  readonly notes = new Map<string, unknown>();
  /** Per client user, each conversation's max seq before the events (what is not news). */
  readonly baseline = new Map<ClientRole, Map<string, number>>();
  /** REST actions wait while the IM server restarts (set by the im-restart seam). */
  gate: Promise<void> | null = null;
  #inflight = 0;
  #idle: Array<() => void> = [];

  constructor(seed: number, rng: Rng, stack: Stack) {
    this.seed = seed;
    this.rng = rng;
    this.stack = stack;
    for (const r of ROLES) this.users[r] = `s${seed}${r}`;
  }

  tab(name: string): Tab {
    const t = this.tabs.find((x) => x.name === name);
    if (!t) throw new Error(`no tab ${name}`);
    return t;
  }

  tabsOf(role: ClientRole): Tab[] {
    return this.tabs.filter((t) => t.role === role);
  }

  token(role: Role): Promise<string> {
    return this.stack.token(this.users[role]);
  }

  /**
   * A REST call as `role` (null: the admin), on the IM server as it is now. Waits out an IM
   * restart instead of racing it, so no request is ever cut mid-flight (no unknown outcomes).
   */
  async rest<T = unknown>(role: Role | null, path: string, body: unknown): Promise<T> {
    const deadline = Date.now() + REST_DEADLINE_MS;
    for (;;) {
      while (this.gate) await this.gate;
      const token = role === null ? await this.stack.im.adminToken() : await this.token(role);
      this.#inflight++;
      try {
        return await imPost<T>(this.stack.im.apiAddress, path, body, token);
      } catch (e) {
        if ((e as { errCode?: unknown }).errCode !== undefined || Date.now() > deadline) throw e;
      } finally {
        if (--this.#inflight === 0) for (const w of this.#idle.splice(0)) w();
      }
      await new Promise((r) => setTimeout(r, REST_RETRY_MS));
    }
  }

  /** Resolves when no REST call of the harness is in flight. */
  restIdle(): Promise<void> {
    return this.#inflight === 0 ? Promise.resolve() : new Promise((r) => this.#idle.push(r));
  }

  /** Open a tab of a client user and log it in (not waiting for its sync). */
  async openTab(name: string, role: ClientRole, wsAddr = this.stack.gateway.url): Promise<Tab> {
    const sdk = newSdk();
    const t: Tab = { name, role, sdk, log: new CallbackLog(sdk), sentAt: Date.now(), attachedAt: null, leftAt: null, redials: 0, cuts: [] };
    this.tabs.push(t);
    const { ok, res } = await settle(
      sdk.login({ userID: this.users[role], token: await this.token(role), platformID: 5, apiAddr: this.stack.im.apiAddress, wsAddr }),
      30_000,
    );
    if (!ok) throw new Error(`${name}: login failed ${JSON.stringify(res)}`);
    t.attachedAt = Date.now();
    return t;
  }

  /** Close a tab for good (a reload closes the page's socket with a close frame). */
  leave(t: Tab): void {
    t.leftAt = Date.now();
    noReconnect(t.sdk);
    dropSdk(t.sdk);
  }

  /**
   * Send a text from a tab through the real client, retrying with the same message (same
   * clientMsgID) while the session cannot take it (restart, reconnect). Recorded in ownSends.
   */
  async sendFrom(t: Tab, to: { recvID?: string; groupID?: string }, text: string): Promise<void> {
    const deadline = Date.now() + REST_DEADLINE_MS;
    let created: MessageItem | undefined;
    let own: OwnSend | undefined;
    for (;;) {
      if (!created) {
        const c = await settle(t.sdk.createTextMessage(text), 15_000);
        if (c.ok) created = c.res.data as MessageItem;
      }
      if (created) {
        own ??= { tab: t.name, clientMsgID: created.clientMsgID, ok: false };
        if (!this.ownSends.includes(own)) this.ownSends.push(own);
        const r = await settle(t.sdk.sendMessage({ recvID: to.recvID ?? '', groupID: to.groupID ?? '', message: created }), 20_000);
        if (r.ok) {
          own.ok = true;
          return;
        }
        // 10204: the core has it as sent already (an earlier try reached the server).
        if (r.res.errCode === 10204) return;
      }
      if (Date.now() > deadline) throw new Error(`${t.name}: could not send "${text}"`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every conversation's max seq for a user, from the server. */
  async maxSeqs(role: ClientRole): Promise<Map<string, number>> {
    const r = await this.rest<{ maxSeqs: Record<string, number> }>(role, '/msg/newest_seq', { userID: this.users[role] });
    return new Map(Object.entries(r.maxSeqs ?? {}).filter(([id]) => !id.startsWith('n_')));
  }

  async recordBaseline(): Promise<void> {
    for (const role of ['a', 'b'] as const) this.baseline.set(role, await this.maxSeqs(role));
  }

  /** Log every tab out (the sessions stop) so the next seed starts with free workers. */
  async dispose(): Promise<void> {
    for (const t of this.tabs) {
      if (t.leftAt === null) await settle(t.sdk.logout(), 10_000).catch(() => undefined);
      noReconnect(t.sdk);
      dropSdk(t.sdk);
    }
    await until((async () => {
      while (this.tabs.some((t) => this.stack.gateway.supervisor.get(this.users[t.role], 5))) await new Promise((r) => setTimeout(r, 50));
    })(), 15_000, 'the seed\'s sessions to stop').catch(() => undefined);
  }
}
