// An in-memory log of the last REST requests, for tests that must prove what a client asked
// (e.g. incremental sync rather than a full reload). Off unless ImServerOptions.requestLog is
// set. Never holds a token: the token header is not recorded, and body keys that name a token
// or secret are redacted.

export interface RequestLogEntry {
  /** 1, 2, ... in arrival order; lets a caller ask for "entries after n". */
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  /** The path, e.g. "/friend/get_incremental_friends". */
  route: string;
  /** The token's user; "" for public routes and requests whose token failed. */
  userID: string;
  /** The parsed JSON body; undefined for protobuf (/jssdk) or unparseable bodies. */
  body: unknown;
  /** The answer's errCode. */
  errCode: number;
}

export const DEFAULT_REQUEST_LOG_SIZE = 1000;

const SECRET_KEY = /token|secret|password/i;

function redact(v: unknown, depth = 0): unknown {
  if (depth > 8 || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(x, depth + 1);
  return out;
}

export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #size: number;
  #seq = 0;

  constructor(size = DEFAULT_REQUEST_LOG_SIZE) {
    this.#size = Math.max(1, size);
  }

  add(route: string, userID: string, body: unknown, errCode: number): void {
    this.#entries.push({ seq: ++this.#seq, time: Date.now(), route, userID, body: redact(body), errCode });
    if (this.#entries.length > this.#size) this.#entries.splice(0, this.#entries.length - this.#size);
  }

  /** A copy of the kept entries, oldest first. */
  entries(): RequestLogEntry[] {
    return this.#entries.map((e) => ({ ...e }));
  }
}
