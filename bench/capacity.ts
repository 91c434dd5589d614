// Capacity: how many idle logged-in sessions of the REAL core (src/core/index.ts) one gateway
// holds on this machine, and what stops it. Sessions are added BENCH_CAP_STEP at a time
// (BENCH_CAP_CONCURRENCY logins at once) with the gateway's production defaults (watchdog,
// start timeout, warm pool); after each step the script waits out the post-login activity
// (BENCH_CAP_POSTLOGIN_SECONDS, its CPU reported), then samples the gateway process's RSS and
// its steady idle CPU (BENCH_CAP_CPU_SECONDS). The ramp stops at BENCH_CAP_TARGET or at the
// first limit hit, which the script names:
//   login    a login failed or timed out (BENCH_CAP_LOGIN_TIMEOUT_MS);
//   latency  the step's login p99 was above BENCH_CAP_MAX_LOGIN_MS;
//   restart  a session's worker exited (e.g. a CPU-starved worker taken for a stuck one);
//   cpu      the steady idle CPU was above BENCH_CAP_MAX_CPU_PCT (% of one core);
//   memory   the next step would leave less than BENCH_CAP_GUARD_MB free (the VM is shared).
// Then it holds the sessions for BENCH_CAP_SOAK_SECONDS, sampling RSS and CPU every
// BENCH_CAP_SAMPLE_SECONDS, and reports the RSS slope (flat = no leak) and whether every
// session is still ready. 'wake-ups/s' are voluntary context switches from /proc (Linux): how
// often the main thread and each session worker woke from sleep during the steady window. The gateway and the IM server each run in a child process; the
// clients are this process and stay connected (BENCH_CAP_KEEP_CONNECTED=0 closes them after
// Login: the sessions then wait in their idle grace, which is set longer than the run).
//
// Knobs: BENCH_CAP_TARGET (1000), BENCH_CAP_STEP (100), BENCH_CAP_CONCURRENCY (8),
// BENCH_CAP_POSTLOGIN_SECONDS (20), BENCH_CAP_CPU_SECONDS (10), BENCH_CAP_SOAK_SECONDS (60),
// BENCH_CAP_SAMPLE_SECONDS (10), BENCH_CAP_LOGIN_TIMEOUT_MS (30000), BENCH_CAP_MAX_LOGIN_MS
// (10000), BENCH_CAP_MAX_CPU_PCT (90), BENCH_CAP_GUARD_MB (3072), BENCH_CAP_KEEP_CONNECTED (1),
// BENCH_CAP_ISOLATION (thread), BENCH_CAP_GATEWAY (JSON of extra gateway options).
//
//   npx node bench/capacity.ts
//   BENCH_CAP_TARGET=1000 BENCH_CAP_SOAK_SECONDS=600 npx node bench/capacity.ts   # the 10-minute hold

import { freemem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ImAdmin } from './lib/im-admin.ts';
import { benchOverrides, cpuSeconds, mapLimit, startGateway, startIm, wakeups } from './lib/procs.ts';
import { exitSummary, listSessions, loginUser } from './lib/sessions.ts';
import { envInt, header, percentile, printTable, sleep } from './lib/stats.ts';
import type { WireClient } from './lib/wsclient.ts';

const TARGET = envInt('BENCH_CAP_TARGET', 1000);
const STEP = Math.max(1, envInt('BENCH_CAP_STEP', 100));
const CONCURRENCY = Math.max(1, envInt('BENCH_CAP_CONCURRENCY', 8));
const POST_S = envInt('BENCH_CAP_POSTLOGIN_SECONDS', 20);
const CPU_S = Math.max(1, envInt('BENCH_CAP_CPU_SECONDS', 10));
const SOAK_S = envInt('BENCH_CAP_SOAK_SECONDS', 60);
const SAMPLE_S = Math.max(1, envInt('BENCH_CAP_SAMPLE_SECONDS', 10));
const LOGIN_TIMEOUT_MS = envInt('BENCH_CAP_LOGIN_TIMEOUT_MS', 30_000);
const MAX_LOGIN_MS = envInt('BENCH_CAP_MAX_LOGIN_MS', 10_000);
const MAX_CPU = envInt('BENCH_CAP_MAX_CPU_PCT', 90);
const GUARD_MB = envInt('BENCH_CAP_GUARD_MB', 3072);
const KEEP = envInt('BENCH_CAP_KEEP_CONNECTED', 1) !== 0;
const ISOLATION = process.env.BENCH_CAP_ISOLATION ?? 'thread';
const EXTRA = JSON.parse(process.env.BENCH_CAP_GATEWAY || '{}') as Record<string, unknown>;
const ADMIN = 'bench-admin-token';
const MiB = 1024 * 1024;

header('bench/capacity.ts');
console.log(`target ${TARGET} sessions, ${STEP} per step, ${CONCURRENCY} logins at a time, isolation ${ISOLATION}, clients ${KEEP ? 'stay connected' : 'closed after Login'}`);
const im = await startIm();
const clients: WireClient[] = [];
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = Array.from({ length: TARGET }, (_, i) => `cap${run}u${i}`);
  await admin.register(users);
  const tokens = await mapLimit(users, 20, (u) => admin.userToken(u));
  const gw = await startGateway(benchOverrides(im, { isolation: ISOLATION, adminToken: ADMIN, logLevel: 'warn', idleGraceMs: 86_400_000, ...EXTRA }));
  try {
    await sleep(2000); // the warm pool fills
    /** Wake-ups per second of the last cpuPct() window: the main thread, and per session worker. */
    let wake = { main: NaN, perSession: NaN };
    const cpuPct = async (seconds: number): Promise<number> => {
      const c0 = cpuSeconds(gw.child.pid!);
      const w0 = wakeups(gw.child.pid!);
      await sleep(seconds * 1000);
      const w1 = wakeups(gw.child.pid!);
      const rate = (name: string) => ((w1.get(name)?.switches ?? NaN) - (w0.get(name)?.switches ?? 0)) / seconds;
      wake = { main: rate('MainThread'), perSession: rate('sdkgate-session') / (w1.get('sdkgate-session')?.threads ?? NaN) };
      return ((cpuSeconds(gw.child.pid!) - c0) / seconds) * 100;
    };
    const baseRss = (await gw.rss()) / MiB;
    const baseCpu = await cpuPct(CPU_S);
    const rows: Record<string, string | number>[] = [{ sessions: 0, 'RSS MB': baseRss.toFixed(0), 'MB/session': '-', 'idle CPU %': baseCpu.toFixed(1), 'CPU % per 100': '-', 'post-login CPU %': '-', 'wake-ups/s main': wake.main.toFixed(1), 'wake-ups/s per worker': wake.perSession.toFixed(2), 'CPU ms/login': '-', 'login p50 ms': '-', 'login p99 ms': '-', 'logins/s': '-' }];
    let done = 0;
    let limit = `none: reached the target (${TARGET})`;
    let mbPer = 40;
    while (done < TARGET) {
      const next = Math.min(TARGET, done + STEP);
      const needMb = (next - done) * mbPer * 1.2;
      if (freemem() / MiB - needMb < GUARD_MB) {
        limit = `memory: the next step needs ~${needMb.toFixed(0)} MB, ${(freemem() / MiB).toFixed(0)} MB free (guard ${GUARD_MB} MB)`;
        break;
      }
      const c0 = cpuSeconds(gw.child.pid!);
      const t0 = performance.now();
      const outcomes = await mapLimit(users.slice(done, next), CONCURRENCY, (u, i) => loginUser(gw.url, u, tokens[done + i]!, LOGIN_TIMEOUT_MS));
      const secs = (performance.now() - t0) / 1000;
      const loginCpu = cpuSeconds(gw.child.pid!) - c0;
      for (const o of outcomes) {
        if (o.client && (KEEP && o.errCode === 0)) clients.push(o.client);
        else void o.client?.close();
      }
      const failed = outcomes.filter((o) => o.errCode !== 0);
      done = next;
      const post = POST_S > 0 ? await cpuPct(POST_S) : NaN;
      const rss = (await gw.rss()) / MiB;
      const cpu = await cpuPct(CPU_S);
      const lat = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      mbPer = Math.max(5, (rss - baseRss) / done);
      rows.push({
        sessions: done,
        'RSS MB': rss.toFixed(0),
        'MB/session': ((rss - baseRss) / done).toFixed(2),
        'idle CPU %': cpu.toFixed(1),
        'CPU % per 100': (((cpu - baseCpu) / done) * 100).toFixed(2),
        'post-login CPU %': Number.isFinite(post) ? post.toFixed(1) : '-',
        'wake-ups/s main': wake.main.toFixed(1),
        'wake-ups/s per worker': wake.perSession.toFixed(2),
        // Logins' own CPU: the step's CPU while logging in, plus what the first POST_S seconds
        // used above the steady idle level, per login.
        'CPU ms/login': (((loginCpu + (Number.isFinite(post) ? ((post - cpu) / 100) * POST_S : 0)) / outcomes.length) * 1000).toFixed(0),
        'login p50 ms': percentile(lat, 50).toFixed(0),
        'login p99 ms': percentile(lat, 99).toFixed(0),
        'logins/s': (outcomes.length / secs).toFixed(1),
      });
      const sessions = await listSessions(gw.http, ADMIN);
      const restarted = sessions.filter((s) => s.restarts > 0 || s.lastExit !== null);
      console.log(`${done} sessions: RSS ${rss.toFixed(0)} MB, idle CPU ${cpu.toFixed(1)}%, login p99 ${percentile(lat, 99).toFixed(0)} ms, ${failed.length} failed, ${restarted.length} restarted`);
      if (failed.length) {
        const codes = [...new Set(failed.map((f) => `${f.errCode} ${f.errMsg}`))].slice(0, 3).join('; ');
        limit = `login: ${failed.length} of ${outcomes.length} logins failed at ${done} sessions (${codes})`;
        break;
      }
      if (restarted.length) {
        limit = `restart: ${restarted.length} sessions' workers exited at ${done} sessions (${exitSummary(restarted)})`;
        break;
      }
      if (percentile(lat, 99) > MAX_LOGIN_MS) {
        limit = `latency: login p99 ${percentile(lat, 99).toFixed(0)} ms > ${MAX_LOGIN_MS} ms at ${done} sessions`;
        break;
      }
      if (cpu > MAX_CPU) {
        limit = `cpu: ${cpu.toFixed(0)}% of a core idle at ${done} sessions (> ${MAX_CPU}%)`;
        break;
      }
    }
    printTable(`Ramp (real core, isolation ${ISOLATION}): RSS and steady idle CPU of the gateway process after each step; 'CPU % per 100' = (idle CPU − the empty gateway's) per 100 sessions; 'post-login CPU %' = the first ${POST_S} s after the step's logins`, rows);
    console.log(`\nlimit: ${limit}`);

    if (SOAK_S > 0 && done > 0) {
      const soak: Record<string, string | number>[] = [];
      const t0 = performance.now();
      const points: [number, number][] = [];
      while ((performance.now() - t0) / 1000 < SOAK_S) {
        const cpu = await cpuPct(Math.min(SAMPLE_S, Math.max(1, SOAK_S - (performance.now() - t0) / 1000)));
        const rss = (await gw.rss()) / MiB;
        const at = (performance.now() - t0) / 1000;
        points.push([at, rss]);
        soak.push({ 's into the hold': at.toFixed(0), 'RSS MB': rss.toFixed(0), 'CPU %': cpu.toFixed(1) });
      }
      const sessions = await listSessions(gw.http, ADMIN);
      const ready = sessions.filter((s) => s.state === 'ready').length;
      printTable(`Hold at ${done} sessions for ${SOAK_S} s`, soak);
      console.log(`RSS slope ${slopePerMin(points).toFixed(1)} MB/min over the hold; ${ready}/${sessions.length} sessions ready at the end; exits: ${exitSummary(sessions)}`);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gw.close();
  }
} finally {
  await im.close();
}

/** Least-squares slope of RSS over time, MB per minute. */
function slopePerMin(points: readonly [number, number][]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den ? (num / den) * 60 : 0;
}
