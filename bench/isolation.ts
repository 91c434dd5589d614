// What each isolation costs and buys, side by side in one run: `none` (the core in the
// gateway's thread), `thread` (a worker per session) and `process` (a child process per session).
// Per mode:
//
//   cold start        Login on a fresh session with no warm spare: spawn, core load, bind, core
//                     Login (the fixture core's Login is local: no upstream round trip)
//   memory            per idle logged-in session: growth of the gateway's process tree (the
//                     gateway and, for `process`, its session processes) over the empty gateway,
//                     as PSS (shared pages split among the processes sharing them: the honest
//                     sum for many Node processes) and as the plain RSS sum
//   call p50/p99      one client, one call in flight, a core call through the session RPC
//   crash → ready     fault in A ('throw'; for `process` also 'segfault') → A's tab has
//                     OnConnectSuccess from the restarted core; warm pool on, restart backoff 0
//   neighbour p99     user B's call p99 while A crash-loops ('throw' BENCH_ISO_GAP_MS after each
//                     recovery), and its ratio to B's p99 with A idle
//
// `none` has no crash figures: a fault there ends the gateway (options.ts refuses
// --fault-injection with it). The gateway and the IM server each run in a child process.
//
// Knobs: BENCH_ISO_MODES (none,thread,process), BENCH_ISO_SESSIONS (20) idle sessions (also the
// cold-start samples), BENCH_ISO_SECONDS (3) per latency loop, BENCH_ISO_CRASH_N (20),
// BENCH_ISO_GAP_MS (250).
//
//   npx node bench/isolation.ts

import { performance } from 'node:perf_hooks';
import { ImAdmin } from './lib/im-admin.ts';
import { closedLoop } from './lib/load.ts';
import { benchOverrides, GATEWAY_FIXTURE_CORE, mapLimit, startGateway, startIm, type Proc } from './lib/procs.ts';
import { envInt, header, percentile, sleep, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

type Mode = 'none' | 'thread' | 'process';
const MODES = (process.env.BENCH_ISO_MODES ?? 'none,thread,process').split(',').map((s) => s.trim()) as Mode[];
const SESSIONS = envInt('BENCH_ISO_SESSIONS', 20);
const SECONDS = envInt('BENCH_ISO_SECONDS', 3);
const CRASH_N = envInt('BENCH_ISO_CRASH_N', 20);
const GAP_MS = envInt('BENCH_ISO_GAP_MS', 250);
const ADMIN = 'bench-admin-token';
const FN = 'GetTotalUnreadMsgCount'; // a core call over the session RPC (fixture core)
const MiB = 1024 * 1024;

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const p = (xs: readonly number[], q: number) => percentile(sorted(xs), q);
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

async function login(gwUrl: string, user: string, token: string): Promise<{ client: WireClient; ms: number }> {
  const client = await WireClient.connect(gwUrl, user, token);
  const t = performance.now();
  const r = await client.call('Login', [user, token], 60_000);
  if (r.errCode !== 0) throw new Error(`Login ${user}: ${r.errCode} ${r.errMsg}`);
  return { client, ms: performance.now() - t };
}

/** Fault A `n` times; each time, the fault → A's OnConnectSuccess after OnConnecting. */
async function crashLoop(gw: Proc & { http: string }, a: WireClient, kind: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ready = new Promise<number>((resolve) => {
      let connecting = false;
      const off = a.onEvent((f) => {
        if (f.event === 'OnConnecting') connecting = true;
        else if (f.event === 'OnConnectSuccess' && connecting) {
          off();
          resolve(performance.now());
        }
      });
    });
    const t0 = performance.now();
    const res = await fetch(`${gw.http}/admin/sessions/${a.userID}/5/fault`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind }),
    });
    if (!res.ok) throw new Error(`fault ${kind}: ${res.status} ${await res.text()}`);
    out.push((await ready) - t0);
    await sleep(GAP_MS);
  }
  return out;
}

header('bench/isolation.ts');
const im = await startIm();
const results = new Map<Mode, Record<string, string>>();
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  for (const mode of MODES) {
    const r: Record<string, string> = {};
    results.set(mode, r);
    const users = Array.from({ length: SESSIONS }, (_, i) => `iso${run}${mode}${i}`);
    const [a, b] = [`iso${run}${mode}A`, `iso${run}${mode}B`];
    await admin.register([...users, a, b]);
    const tokens = await mapLimit(users, 10, (u) => admin.userToken(u));

    // Cold starts, idle memory and call latency: no spares, so every Login spawns.
    const gw = await startGateway(benchOverrides(im, { isolation: mode, warmPool: 0, logLevel: 'warn' }), GATEWAY_FIXTURE_CORE);
    try {
      await sleep(1000);
      const empty = await gw.treeMemory();
      const cold: number[] = [];
      const clients: WireClient[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        const { client, ms: t } = await login(gw.url, users[i]!, tokens[i]!);
        cold.push(t);
        clients.push(client);
      }
      await sleep(2000);
      const full = await gw.treeMemory();
      r['cold start p50, ms'] = ms(p(cold, 50));
      r['cold start p90, ms'] = ms(p(cold, 90));
      r['memory per idle session, PSS MB'] = ((full.pss - empty.pss) / SESSIONS / MiB).toFixed(1);
      r['memory per idle session, RSS sum MB'] = ((full.rss - empty.rss) / SESSIONS / MiB).toFixed(1);
      r['processes for the sessions'] = String(full.processes - empty.processes);
      await closedLoop('warmup', [clients[0]!], FN, 0.5);
      const calls: Sample = await closedLoop('calls', [clients[0]!], FN, SECONDS);
      r['call p50, ms'] = ms(p(calls.latencies, 50));
      r['call p99, ms'] = ms(p(calls.latencies, 99));
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await gw.close();
    }

    if (mode === 'none') {
      for (const k of ["crash → ready p50, ms ('throw')", "crash → ready p50, ms ('segfault')", 'neighbour p99 baseline, ms', "neighbour p99 during A's crash loop, ms", 'neighbour p99 ratio']) r[k] = 'n/a (a fault ends the gateway)';
      continue;
    }
    // Crashes: warm spares on (as in production), restart backoff 0 so the figure is the supervisor's.
    const gw2 = await startGateway(
      benchOverrides(im, { isolation: mode, warmPool: 'auto', faultInjection: true, adminToken: ADMIN, logLevel: 'silent', restartBackoffMs: 0, restartBackoffMaxMs: 0, restartIntensity: 100_000, restartPeriodMs: 1000 }),
      GATEWAY_FIXTURE_CORE,
    );
    try {
      const ca = (await login(gw2.url, a, await admin.userToken(a))).client;
      const cb = (await login(gw2.url, b, await admin.userToken(b))).client;
      await sleep(1500); // the pool fills
      await closedLoop('warmup', [cb], FN, 0.5);
      const base = await closedLoop('B, A idle', [cb], FN, SECONDS);
      let stop = false;
      const during = closedLoop("B, A crash-looping", [cb], FN, () => stop);
      const recov = await crashLoop(gw2, ca, 'throw', CRASH_N);
      stop = true;
      const bDuring = await during;
      r["crash → ready p50, ms ('throw')"] = ms(p(recov, 50));
      r['neighbour p99 baseline, ms'] = ms(p(base.latencies, 99));
      r["neighbour p99 during A's crash loop, ms"] = ms(p(bDuring.latencies, 99));
      r['neighbour p99 ratio'] = (p(bDuring.latencies, 99) / p(base.latencies, 99)).toFixed(2) + 'x';
      r["crash → ready p50, ms ('segfault')"] = mode === 'process' ? ms(p(await crashLoop(gw2, ca, 'segfault', Math.max(1, Math.floor(CRASH_N / 2))), 50)) : 'refused (ends the gateway)';
      await ca.close();
      await cb.close();
    } finally {
      await gw2.close();
    }
  }
} finally {
  await im.close();
}

const figures = [...new Set([...results.values()].flatMap((r) => Object.keys(r)))];
console.log(`\nIsolation side by side (fixture core, ${SESSIONS} idle sessions, ${SECONDS} s loops, ${CRASH_N} crashes)`);
console.table(figures.map((f) => Object.fromEntries([['figure', f], ...MODES.map((m) => [m, results.get(m)?.[f] ?? '-'])])));
