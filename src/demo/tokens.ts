// Demo mode's tokens, from the embedded IM server's own admin flow (the README's bootstrap):
// get_admin_token with the server's secret, user_register, get_user_token for platform 5 (Web).
// The secret and the admin token stay in this process; a browser only ever gets a user token.
//
// One token per demo user is kept and handed to every tab that logs in as that user: issuing a
// new one would kick the older one (OpenIM's same-platform policy, src/imserver/tokens.ts), and
// with it the session the other tabs share. A kept token is checked with parse_token before it is
// reused, so one kicked or expired in the meantime is replaced.

import { randomBytes } from 'node:crypto';

const DEMO_PLATFORM_ID = 5;
/** The IM server's admin user: never handed out. */
const ADMIN_USER_ID = 'imAdmin';
const REQUEST_TIMEOUT_MS = 5_000;
/** A kept token is replaced when it has less than this left. */
const MIN_LIFETIME_MS = 60 * 60_000;
/** Demo users kept (tokens and peer list); the demo is for a handful of people. */
const MAX_USERS = 1_000;

export interface DemoLogin {
  readonly userID: string;
  readonly token: string;
  readonly platformID: number;
  /** Other users of the embedded IM server, to start a chat with. */
  readonly peers: readonly string[];
}

export class DemoRefused extends Error {}

interface Envelope<T> {
  errCode: number;
  errMsg: string;
  data?: T;
}

export class DemoTokens {
  readonly #api: string;
  readonly #secret: string;
  readonly #kept = new Map<string, { token: string; expiresAt: number }>();
  #admin: Promise<string> | undefined;

  constructor(apiAddress: string, secret: string) {
    this.#api = apiAddress;
    this.#secret = secret;
  }

  async login(userID: string, nickname: string): Promise<DemoLogin> {
    if (userID === ADMIN_USER_ID) throw new DemoRefused('the IM server admin cannot log in to the demo');
    const token = await this.#userToken(userID, nickname);
    const { userIDs } = await this.#asAdmin<{ userIDs: string[] }>('/user/get_all_users_uid', { pagination: { pageNumber: 1, showNumber: 100 } });
    return { userID, token, platformID: DEMO_PLATFORM_ID, peers: userIDs.filter((u) => u !== userID && u !== ADMIN_USER_ID) };
  }

  async #userToken(userID: string, nickname: string): Promise<string> {
    const kept = this.#kept.get(userID);
    if (kept && kept.expiresAt - Date.now() > MIN_LIFETIME_MS) {
      const still = await this.#post<unknown>('/auth/parse_token', { token: kept.token });
      if (still.errCode === 0) return kept.token;
    }
    const reg = await this.#asAdminRaw('/user/user_register', { users: [{ userID, nickname, faceURL: '', ex: '' }] });
    if (reg.errCode !== 0 && reg.errCode !== 1102) throw new DemoRefused(`user_register: ${reg.errCode} ${reg.errMsg}`); // 1102: registered already
    const issued = await this.#asAdmin<{ token: string; expireTimeSeconds: number }>('/auth/get_user_token', { userID, platformID: DEMO_PLATFORM_ID });
    if (this.#kept.size >= MAX_USERS && !this.#kept.has(userID)) this.#kept.delete(this.#kept.keys().next().value!);
    this.#kept.set(userID, { token: issued.token, expiresAt: Date.now() + issued.expireTimeSeconds * 1000 });
    return issued.token;
  }

  async #asAdmin<T>(path: string, body: unknown): Promise<T> {
    const r = await this.#asAdminRaw<T>(path, body);
    if (r.errCode !== 0) throw new DemoRefused(`${path}: ${r.errCode} ${r.errMsg}`);
    return r.data as T;
  }

  async #asAdminRaw<T>(path: string, body: unknown): Promise<Envelope<T>> {
    let r = await this.#post<T>(path, body, await this.#adminToken());
    if (r.errCode >= 1500 && r.errCode < 1600) {
      // The admin token was kicked or expired (a restarted IM server): get a fresh one, once.
      this.#admin = undefined;
      r = await this.#post<T>(path, body, await this.#adminToken());
    }
    return r;
  }

  #adminToken(): Promise<string> {
    this.#admin ??= this.#post<{ token: string }>('/auth/get_admin_token', { secret: this.#secret, userID: ADMIN_USER_ID }).then((r) => {
      if (r.errCode !== 0 || !r.data) throw new DemoRefused(`get_admin_token: ${r.errCode}`);
      return r.data.token;
    });
    this.#admin.catch(() => (this.#admin = undefined));
    return this.#admin;
  }

  async #post<T>(path: string, body: unknown, token?: string): Promise<Envelope<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', operationID: `demo-${randomBytes(6).toString('hex')}` };
    if (token) headers.token = token;
    const res = await fetch(this.#api + path, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return (await res.json()) as Envelope<T>;
  }
}
