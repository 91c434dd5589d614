// One Prometheus registry for the process, named after JupyterHub's (notes/supervisor-anchors.md §d.14).
// Served at GET /metrics behind the admin token.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sdkgate_' });
  const m = {
    registry,
    connections: new Gauge({ name: 'sdkgate_connections', help: 'Open client WebSocket connections', registers: [registry] }),
    upgradesRejected: new Counter({ name: 'sdkgate_upgrades_rejected_total', help: 'Upgrades refused before the handshake', labelNames: ['reason'], registers: [registry] }),
    sessions: new Gauge({ name: 'sdkgate_sessions', help: 'Sessions by state', labelNames: ['state'], registers: [registry] }),
    sessionStart: new Histogram({
      name: 'sdkgate_session_start_duration_seconds', help: 'Worker spawn to logged-in core',
      labelNames: ['status'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    sessionExits: new Counter({ name: 'sdkgate_session_exits_total', help: 'Worker exits by reason', labelNames: ['reason'], registers: [registry] }),
    sessionRestarts: new Counter({ name: 'sdkgate_session_restarts_total', help: 'Automatic restarts by reason', labelNames: ['reason'], registers: [registry] }),
    quarantined: new Gauge({ name: 'sdkgate_quarantined_sessions', help: 'Sessions in quarantine', registers: [registry] }),
    rpc: new Histogram({
      name: 'sdkgate_rpc_duration_seconds', help: 'Call latency through the session worker',
      labelNames: ['status'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10], registers: [registry],
    }),
    rpcInFlight: new Gauge({ name: 'sdkgate_rpc_inflight', help: 'Calls in flight across sessions', registers: [registry] }),
    callsRejected: new Counter({ name: 'sdkgate_calls_rejected_total', help: 'Calls refused by the gateway', labelNames: ['code'], registers: [registry] }),
    warmPoolSpares: new Gauge({ name: 'sdkgate_warm_pool_spares', help: 'Pre-spawned spare workers waiting for a login', registers: [registry] }),
    warmPoolTakes: new Counter({ name: 'sdkgate_warm_pool_takes_total', help: 'Session starts by whether a spare was ready (hit) or not (miss)', labelNames: ['result'], registers: [registry] }),
    sessionsEvicted: new Counter({ name: 'sdkgate_sessions_evicted_total', help: 'Idle sessions stopped early to admit a login (memory budget)', registers: [registry] }),
    admissionRefused: new Counter({ name: 'sdkgate_admission_refused_total', help: 'Logins refused with GW_CAPACITY', registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
