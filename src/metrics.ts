// One Prometheus registry for the process, named after JupyterHub's (notes/supervisor-anchors.md §d.14).
// Served at GET /metrics behind the metrics or admin token. Every metric, its labels and the bound
// on each label's values are listed in docs/metrics.md; no label ever carries a userID, a
// sessionId or anything else that grows with the number of users.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { catalog } from './errors.ts';

const MiB = 1024 * 1024;
const EVENT_LOOP_SAMPLE_MS = 100;

/** OpenIM REST route families (the first path segment); anything else is `other`. */
const ROUTE_FAMILIES = new Set(['auth', 'user', 'friend', 'group', 'conversation', 'msg', 'jssdk', 'third', 'object', 'statistics']);

export function routeFamily(route: string): string {
  const first = /^\/([a-z_]+)\//.exec(route)?.[1];
  return first && ROUTE_FAMILIES.has(first) ? first : 'other';
}

const CATALOG_CODES = new Set<number>(Object.values(catalog).map((s) => s.code));

/**
 * An errCode as a label value, bounded: the catalog's codes, OpenIM server codes (1000–1999) and
 * SDK core codes (10000–10999) pass; anything else (a misbehaving upstream) is `other`.
 */
export function codeLabel(code: number): string {
  if (!Number.isInteger(code)) return 'other';
  if (CATALOG_CODES.has(code) || (code >= 1000 && code < 2000) || (code >= 10000 && code < 11000)) return String(code);
  return 'other';
}

export function createMetrics() {
  const registry = new Registry();
  // The event-loop delay histogram samples with a timer: at prom-client's default of 10 ms that
  // is ~100 wake-ups a second of the main thread whatever the load (docs/performance.md). At
  // 100 ms the lag figures still catch any stall worth alerting on; each includes the interval
  // (an idle loop reads ~0.1 s), see docs/metrics.md.
  collectDefaultMetrics({ register: registry, prefix: 'sdkgate_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  let heapSource: () => Iterable<number> = () => [];
  const registers = [registry];
  const m = {
    registry,
    buildInfo: new Gauge({ name: 'sdkgate_build_info', help: 'Always 1; the version and node id as labels', labelNames: ['version', 'node'], registers }),
    ready: new Gauge({ name: 'sdkgate_ready', help: '1 when /readyz answers 200 (as of its last evaluation)', registers }),
    draining: new Gauge({ name: 'sdkgate_draining', help: '1 once this node began draining (POST /admin/drain, SIGTERM)', registers }),
    upstreamUp: new Gauge({ name: 'sdkgate_upstream_up', help: 'Upstream reachable at the last readiness probe, by target', labelNames: ['target'], registers }),
    configReloads: new Counter({ name: 'sdkgate_config_reloads_total', help: 'SIGHUP reloads by result', labelNames: ['result'], registers }),

    connections: new Gauge({ name: 'sdkgate_connections', help: 'Open client WebSocket connections', registers }),
    upgradesRejected: new Counter({ name: 'sdkgate_upgrades_rejected_total', help: 'Upgrades refused before the handshake', labelNames: ['reason'], registers }),

    calls: new Counter({ name: 'sdkgate_calls_total', help: 'Client calls answered, by function and outcome (ok, refused, business_error, fault)', labelNames: ['function', 'outcome'], registers }),
    callDuration: new Histogram({
      name: 'sdkgate_call_duration_seconds', help: 'Frame in to answer out, for calls that were not refused by the gateway',
      labelNames: ['function'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers,
    }),
    callErrors: new Counter({ name: 'sdkgate_call_errors_total', help: 'Failed calls by outcome and errCode', labelNames: ['outcome', 'code'], registers }),

    sessions: new Gauge({ name: 'sdkgate_sessions', help: 'Sessions by state', labelNames: ['state'], registers }),
    sessionStart: new Histogram({
      name: 'sdkgate_session_start_duration_seconds', help: 'Worker spawn to logged-in core',
      labelNames: ['status'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
    sessionExits: new Counter({ name: 'sdkgate_session_exits_total', help: 'Worker exits by reason', labelNames: ['reason'], registers }),
    sessionRestarts: new Counter({ name: 'sdkgate_session_restarts_total', help: 'Session restarts by reason: the exit reason for automatic ones, admin or unquarantine', labelNames: ['reason'], registers }),
    quarantined: new Gauge({ name: 'sdkgate_quarantined_sessions', help: 'Sessions in quarantine', registers }),
    sessionHeap: new Histogram({
      name: 'sdkgate_session_heap_bytes', help: 'Heap used per live session worker, as of this scrape (a distribution over sessions)',
      buckets: [4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512].map((mb) => mb * MiB), registers,
      collect() {
        this.reset();
        for (const bytes of heapSource()) this.observe(bytes);
      },
    }),
    rpc: new Histogram({
      name: 'sdkgate_rpc_duration_seconds', help: 'Time a call spent in its session: queue wait plus the worker',
      labelNames: ['status'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10], registers,
    }),
    rpcInFlight: new Gauge({ name: 'sdkgate_rpc_inflight', help: 'Calls in flight across sessions', registers }),

    upstreamRest: new Histogram({
      name: 'sdkgate_upstream_rest_duration_seconds', help: 'OpenIM REST requests (token checks and the cores\' calls) by route family and outcome',
      labelNames: ['family', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers,
    }),
    upstreamWsConnects: new Counter({ name: 'sdkgate_upstream_ws_connects_total', help: 'Cores\' message-gateway connection attempts by result (ok, failed)', labelNames: ['result'], registers }),
    upstreamWsReconnects: new Counter({ name: 'sdkgate_upstream_ws_reconnects_total', help: 'Message-gateway connections re-established after a core had been connected', registers }),

    warmPoolSpares: new Gauge({ name: 'sdkgate_warm_pool_spares', help: 'Pre-spawned spare workers waiting for a login', registers }),
    warmPoolTakes: new Counter({ name: 'sdkgate_warm_pool_takes_total', help: 'Session starts by whether a spare was ready (hit) or not (miss)', labelNames: ['result'], registers }),
    sessionsEvicted: new Counter({ name: 'sdkgate_sessions_evicted_total', help: 'Idle sessions stopped early to admit a login (memory budget)', registers }),
    admissionRefused: new Counter({ name: 'sdkgate_admission_refused_total', help: 'Logins refused with GW_CAPACITY', registers }),

    /** Where the per-session heap distribution comes from (the supervisor sets it). */
    setHeapSource(source: () => Iterable<number>): void {
      heapSource = source;
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
