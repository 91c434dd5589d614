// GET /readyz: may a load balancer send this instance new clients? /healthz is liveness only (the
// process answers); readiness is not-ready, with every reason in the body, while
//
//   draining         the gateway is shutting down
//   upstream_api     the OpenIM API's /auth/parse_token gives no usable answer (logins would fail)
//   msg_gateway      the OpenIM message gateway does not answer HTTP (cores cannot connect)
//   at_capacity      the session limit is reached and no idle session can make room
//
// The upstream is probed when /readyz is asked, at most once per PROBE_CACHE_MS (concurrent
// requests share one probe), so a probe every few seconds from a balancer costs the upstream one
// parse_token request per second at most. Any JSON envelope from parse_token counts as
// reachable (an empty token is refused, which proves the API is up); for the message gateway any
// HTTP answer does (a plain GET is refused without an upgrade). Transitions are logged once.

import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { timeoutSignal } from '../timeout.ts';

type NotReadyReason = 'draining' | 'upstream_api' | 'msg_gateway' | 'at_capacity';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly NotReadyReason[];
  /** Per-upstream detail for an operator (never a token). */
  readonly upstream: { readonly api: string; readonly msgGateway: string };
}

export interface ReadinessDeps {
  readonly apiAddress: string;
  readonly wsAddress: string;
  readonly timeoutMs: number;
  readonly isDraining: () => boolean;
  readonly atCapacity: () => boolean;
  readonly log: Logger;
  readonly metrics: Metrics;
}

const PROBE_CACHE_MS = 1_000;

interface Probe {
  readonly at: number;
  readonly api: string;
  readonly msgGateway: string;
}

/** `ok`, or a short reason text (timeout, ECONNREFUSED, HTTP 502...). */
async function probe(url: string, init: RequestInit, timeoutMs: number, accept: (res: Response, text: string) => boolean): Promise<string> {
  const timeout = timeoutSignal(timeoutMs, 'probe timed out');
  try {
    const res = await fetch(url, { ...init, signal: timeout.signal, redirect: 'manual' });
    const text = await res.text();
    return accept(res, text) ? 'ok' : `HTTP ${res.status}`;
  } catch (e) {
    if (timeout.signal.aborted) return 'timeout';
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof cause?.code === 'string') return cause.code;
    return typeof cause?.message === 'string' ? cause.message : (e as Error).message;
  } finally {
    timeout.clear();
  }
}

function isEnvelope(res: Response, text: string): boolean {
  if (res.status >= 500) return false;
  try {
    return typeof (JSON.parse(text) as { errCode?: unknown }).errCode === 'number';
  } catch {
    return false;
  }
}

export class Readiness {
  readonly #d: ReadinessDeps;
  #last: Probe | null = null;
  #pending: Promise<Probe> | null = null;
  #wasReady: boolean | null = null;

  constructor(deps: ReadinessDeps) {
    this.#d = deps;
  }

  async check(): Promise<ReadinessReport> {
    const reasons: NotReadyReason[] = [];
    if (this.#d.isDraining()) reasons.push('draining');
    const p = await this.#probe();
    if (p.api !== 'ok') reasons.push('upstream_api');
    if (p.msgGateway !== 'ok') reasons.push('msg_gateway');
    if (this.#d.atCapacity()) reasons.push('at_capacity');
    const ready = reasons.length === 0;
    const m = this.#d.metrics;
    m.ready.set(ready ? 1 : 0);
    m.upstreamUp.set({ target: 'api' }, p.api === 'ok' ? 1 : 0);
    m.upstreamUp.set({ target: 'msg_gateway' }, p.msgGateway === 'ok' ? 1 : 0);
    if (this.#wasReady !== ready) {
      if (ready) this.#d.log.info('ready');
      else this.#d.log.warn({ reasons, api: p.api, msgGateway: p.msgGateway }, 'not ready');
      this.#wasReady = ready;
    }
    return { ready, reasons, upstream: { api: p.api, msgGateway: p.msgGateway } };
  }

  #probe(): Promise<Probe> {
    const last = this.#last;
    if (last && Date.now() - last.at < PROBE_CACHE_MS) return Promise.resolve(last);
    this.#pending ??= this.#run().finally(() => (this.#pending = null));
    return this.#pending;
  }

  async #run(): Promise<Probe> {
    const { apiAddress, wsAddress, timeoutMs } = this.#d;
    const [api, msgGateway] = await Promise.all([
      probe(`${apiAddress}/auth/parse_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', operationID: `readyz-${Date.now()}` },
        body: '{"token":""}',
      }, timeoutMs, isEnvelope),
      // ws://host:port/path -> http://host:port/path: any HTTP answer means it is listening.
      probe(wsAddress.replace(/^ws/, 'http'), { method: 'GET' }, timeoutMs, () => true),
    ]);
    this.#last = { at: Date.now(), api, msgGateway };
    return this.#last;
  }
}
