// REST client for the OpenIM API: POST JSON with `operationID` and `token` headers, unwrap the
// `{errCode, errMsg, errDlt, data}` envelope. Token errors (1501–1507) are reported once to
// `onTokenError` so the session can stop and tell the client.
//
// Plain node:http(s), not fetch: fetch loads undici into every session worker on its first
// request, ~3 MB of RSS and ~20 ms of CPU per session (docs/performance.md), for nothing
// node:http does not already do (its global agent keeps connections alive).

import type { IncomingMessage } from 'node:http';
import type { RestSample } from '../contract.ts';
import { CodedError, SdkCode } from '../errors.ts';

export function isTokenError(code: number): boolean {
  return code >= 1501 && code <= 1507;
}

export interface RestOptions {
  readonly apiAddress: string;
  readonly token: () => string;
  readonly onTokenError: (code: number, message: string) => void;
  readonly timeoutMs?: number;
  /** Aborts every request in flight (the session is closing). */
  readonly signal?: AbortSignal;
  /** Told about every request once it ended (route and timing only; never bodies). */
  readonly onResult?: (sample: RestSample) => void;
}

interface Envelope {
  errCode?: number;
  errMsg?: string;
  errDlt?: string;
  data?: unknown;
}

/**
 * The CommonJS module objects. `import ... from 'node:http'` would build the ESM namespace of
 * node:http, and reading its exports runs the lazy WebSocket/EventSource getters, which load
 * undici: +5 MB per worker, the very cost this client exists to avoid.
 */
const httpModule = (secure: boolean) => (secure ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http'));

export class RestClient {
  readonly #o: RestOptions;
  readonly #base: string;

  constructor(o: RestOptions) {
    this.#o = o;
    this.#base = o.apiAddress.replace(/\/+$/, '');
  }

  async post<T = unknown>(route: string, body: unknown, operationID: string, signal?: AbortSignal): Promise<T> {
    const report = this.#o.onResult;
    if (!report) return this.#post<T>(route, body, operationID, signal);
    const t0 = performance.now();
    let outcome: RestSample['outcome'] = 'error';
    try {
      const data = await this.#post<T>(route, body, operationID, signal);
      outcome = 'ok';
      return data;
    } catch (e) {
      // A coded answer from the server is a business refusal; our own network codes are not.
      const code = (e as CodedError).code;
      if (code !== SdkCode.Network && code !== SdkCode.NetworkTimeout) outcome = 'business_error';
      throw e;
    } finally {
      report({ route, seconds: (performance.now() - t0) / 1000, outcome });
    }
  }

  async #post<T>(route: string, body: unknown, operationID: string, signal?: AbortSignal): Promise<T> {
    const { status, text } = await this.#send(route, JSON.stringify(body), operationID, signal);
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      throw new CodedError(SdkCode.Network, `${route}: HTTP ${status} without a JSON envelope`);
    }
    const ok = status >= 200 && status < 300;
    const code = typeof env?.errCode === 'number' ? env.errCode : ok ? 0 : SdkCode.Network;
    if (code !== 0) {
      const msg = env.errMsg || `HTTP ${status}`;
      if (isTokenError(code)) this.#o.onTokenError(code, msg);
      throw new CodedError(code, msg);
    }
    return env.data as T;
  }

  /** One POST; resolves with the status and body text, or rejects with a network CodedError. */
  #send(route: string, payload: string, operationID: string, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
    const url = new URL(this.#base + route);
    const signals = [signal, this.#o.signal].filter((s): s is AbortSignal => s !== undefined);
    const timeoutMs = this.#o.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: CodedError | null, value?: { status: number; text: string }): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value!);
      };
      const onAbort = (): void => finish(new CodedError(SdkCode.Network, `${route}: aborted`));
      if (signals.some((s) => s.aborted)) {
        reject(new CodedError(SdkCode.Network, `${route}: aborted`));
        return;
      }
      const req = httpModule(url.protocol === 'https:').request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), operationID, token: this.#o.token() },
      });
      const timer = setTimeout(() => finish(new CodedError(SdkCode.NetworkTimeout, `${route}: timeout`)), timeoutMs);
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => finish(new CodedError(SdkCode.Network, `${route}: ${e.message}`)));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(new CodedError(SdkCode.Network, `${route}: ${e.message}`)));
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('close', () => finish(new CodedError(SdkCode.Network, `${route}: connection closed mid-response`)));
      });
      req.end(payload);
    });
  }
}
