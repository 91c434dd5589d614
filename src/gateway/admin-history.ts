// The admin dashboard's live feed: once a second, one snapshot (every session's info, the
// supervisor's overview, one history sample) that every open dashboard gets, and a ring of the
// last HISTORY_SIZE samples for the charts a page draws when it opens.
//
// A sample holds rates derived from the process's Prometheus counters (named in SERIES, so the
// dashboard needs no second set of counters) and memory. The dashboard draws one chart per
// numeric field of a sample and one column per field of a session's info, so fields added
// later show up without changing the page. A counter missing from the registry is an error in
// the log and a null in the sample, never a made-up zero (test/gateway/admin-history.test.ts
// checks every name against createMetrics()).

import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { SessionInfo, Supervisor, SupervisorOverview } from '../supervisor/types.ts';

export const HISTORY_SIZE = 300;
export const SAMPLE_INTERVAL_MS = 1_000;

/** Per-second rates from counters: series name -> metric names summed over their labels. */
export const SERIES: Readonly<Record<string, readonly string[]>> = {
  callsPerS: ['sdkgate_calls_total'],
  errorsPerS: ['sdkgate_call_errors_total'],
  restartsPerS: ['sdkgate_session_restarts_total'],
};

interface Sample {
  /** ms since epoch */
  readonly at: number;
  readonly [series: string]: number | null;
}

export interface Snapshot {
  readonly at: number;
  readonly sessions: readonly SessionInfo[];
  readonly overview: SupervisorOverview | null;
  readonly sample: Sample;
}

export interface AdminFeed {
  /** The last samples, oldest first. */
  history(): readonly Sample[];
  /** The latest snapshot (taken now if none yet). */
  current(): Promise<Snapshot>;
  /** Called with each new snapshot; returns the unsubscribe function. */
  subscribe(fn: (s: Snapshot) => void): () => void;
  close(): void;
}

const MiB = 1024 * 1024;

/** Sum a counter (or a histogram's `_count`) over all its label sets; undefined when absent. */
async function counterTotal(metrics: Metrics, name: string): Promise<number | undefined> {
  const base = name.endsWith('_count') ? name.slice(0, -'_count'.length) : name;
  const metric = metrics.registry.getSingleMetric(base);
  if (!metric) return undefined;
  const { values } = await metric.get();
  let sum = 0;
  for (const v of values as Array<{ value: number; metricName?: string }>) {
    if (base === name || v.metricName === name) sum += v.value;
  }
  return sum;
}

export function createAdminFeed(supervisor: Supervisor, metrics: Metrics, log: Logger): AdminFeed {
  const ring: Sample[] = [];
  const listeners = new Set<(s: Snapshot) => void>();
  let last: { at: number; totals: Record<string, number | undefined> } | undefined;
  let latest: Snapshot | undefined;
  const reportedMissing = new Set<string>();

  async function take(): Promise<Snapshot> {
    const at = Date.now();
    const totals: Record<string, number | undefined> = {};
    for (const [series, names] of Object.entries(SERIES)) {
      let sum: number | undefined = 0;
      for (const n of names) {
        const v = await counterTotal(metrics, n);
        if (v === undefined) {
          if (!reportedMissing.has(n)) log.error({ metric: n }, 'admin history: metric not registered; its series stays empty');
          reportedMissing.add(n);
          sum = undefined;
          break;
        }
        sum += v;
      }
      totals[series] = sum;
    }
    const sessions = supervisor.list();
    const sample: Record<string, number | null> = {};
    for (const series of Object.keys(SERIES)) {
      const now = totals[series];
      const before = last?.totals[series];
      // The first sample has nothing to compare with: no rate yet rather than a spike.
      sample[series] = now === undefined || before === undefined || !last ? null : Math.max(0, (now - before) / ((at - last.at) / 1000));
    }
    sample.rssMb = process.memoryUsage.rss() / MiB;
    sample.sessionHeapMb = sessions.reduce((n, s) => n + (s.heapUsed ?? 0), 0) / MiB;
    last = { at, totals };
    const snap: Snapshot = { at, sessions, overview: supervisor.overview?.() ?? null, sample: { at, ...sample } };
    ring.push(snap.sample);
    if (ring.length > HISTORY_SIZE) ring.shift();
    latest = snap;
    return snap;
  }

  let pending: Promise<Snapshot> | undefined;
  const tick = (): void => {
    if (pending) return; // a slow tick (a loaded machine) is skipped, not stacked
    pending = take();
    pending
      .then((snap) => {
        for (const fn of listeners) fn(snap);
      })
      .catch((err: unknown) => log.error({ err }, 'admin history sample failed'))
      .finally(() => (pending = undefined));
  };
  tick(); // the baseline the first rates are measured from
  const timer = setInterval(tick, SAMPLE_INTERVAL_MS);
  timer.unref();

  return {
    history: () => ring,
    current: () => (latest ? Promise.resolve(latest) : pending ?? take()),
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      clearInterval(timer);
      listeners.clear();
    },
  };
}
