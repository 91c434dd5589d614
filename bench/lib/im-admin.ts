// Bootstrap users on an OpenIM(-compatible) server through its public REST API, as an app
// server would: admin token → register → user token. Works against the embedded server and a
// real OpenIM deployment alike (docs/protocol.md "REST conventions", bootstrap).

let op = 0;
const opId = () => `bench-${process.pid}-${++op}`;

async function post<T>(api: string, route: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(api + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', operationID: opId(), ...(token ? { token } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const env = (await res.json()) as { errCode: number; errMsg: string; data?: T };
  if (env.errCode !== 0) throw new Error(`${route}: ${env.errCode} ${env.errMsg}`);
  return env.data as T;
}

export class ImAdmin {
  readonly #api: string;
  readonly #secret: string;
  #admin: string | undefined;
  readonly #tokens = new Map<string, string>();

  constructor(apiAddress: string, secret = 'openIM123') {
    this.#api = apiAddress;
    this.#secret = secret;
  }

  async #adminToken(): Promise<string> {
    this.#admin ??= (await post<{ token: string }>(this.#api, '/auth/get_admin_token', { secret: this.#secret, userID: 'imAdmin' })).token;
    return this.#admin;
  }

  async register(userIDs: readonly string[]): Promise<void> {
    const token = await this.#adminToken();
    for (let i = 0; i < userIDs.length; i += 100) {
      const users = userIDs.slice(i, i + 100).map((userID) => ({ userID, nickname: userID, faceURL: '' }));
      await post(this.#api, '/user/user_register', { users }, token);
    }
  }

  /** One token per (user, platform): a second token for the same pair would kick the first. */
  async userToken(userID: string, platformID = 5): Promise<string> {
    const key = `${userID}/${platformID}`;
    let t = this.#tokens.get(key);
    if (!t) {
      t = (await post<{ token: string }>(this.#api, '/auth/get_user_token', { userID, platformID }, await this.#adminToken())).token;
      this.#tokens.set(key, t);
    }
    return t;
  }
}
