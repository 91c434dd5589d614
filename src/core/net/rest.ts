// REST client for the OpenIM API: POST JSON with `operationID` and `token` headers, unwrap the
// `{errCode, errMsg, errDlt, data}` envelope. Token errors (1501–1507) are reported once to
// `onTokenError` so the session can stop and tell the client.

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

export class RestClient {
  readonly #o: RestOptions;

  constructor(o: RestOptions) {
    this.#o = o;
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
    const timeout = AbortSignal.timeout(this.#o.timeoutMs ?? 15_000);
    let res: Response;
    try {
      res = await fetch(this.#o.apiAddress.replace(/\/+$/, '') + route, {
        method: 'POST',
        headers: { 'content-type': 'application/json', operationID, token: this.#o.token() },
        body: JSON.stringify(body),
        signal: AbortSignal.any([timeout, ...(signal ? [signal] : []), ...(this.#o.signal ? [this.#o.signal] : [])]),
      });
    } catch (e) {
      const timedOut = timeout.aborted;
      throw new CodedError(timedOut ? SdkCode.NetworkTimeout : SdkCode.Network, `${route}: ${timedOut ? 'timeout' : (e as Error).message}`);
    }
    let env: Envelope;
    try {
      env = (await res.json()) as Envelope;
    } catch {
      throw new CodedError(SdkCode.Network, `${route}: HTTP ${res.status} without a JSON envelope`);
    }
    const code = typeof env.errCode === 'number' ? env.errCode : res.ok ? 0 : SdkCode.Network;
    if (code !== 0) {
      const msg = env.errMsg || `HTTP ${res.status}`;
      if (isTokenError(code)) this.#o.onTokenError(code, msg);
      throw new CodedError(code, msg);
    }
    return env.data as T;
  }
}
