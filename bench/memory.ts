// Memory per idle logged-in session: the gateway process's RSS (main thread, every worker,
// every socket) with 0, 100, 500 and 1,000 sessions of the REAL core (src/core/index.ts) that
// logged in against the embedded IM server and then lost their connection (idle, in their idle
// grace: what a gateway holds for users who closed their tab). MB per session is the RSS growth
// over the 0-session gateway divided by the sessions; the maximum sessions in 16 GiB uses the
// largest step and the default --memory-headroom-mb. `--isolation none` runs the same steps as
// the baseline of the ratio (a session without its thread). The warm pool is off so spares do
// not count. The gateway and the IM server each run in a child process. Logins go 4 at a time,
// with a long start timeout and --watchdog-ms 30000: on the shared 2-vCPU VM, a worker starved
// of CPU for 5 s during a 1,000-session login storm was taken for a stuck loop (ELU 1.00) and
// restarted, which this bench is not about.
//
// `none` only runs the steps up to BENCH_MEM_NONE_MAX (its per-session cost is flat; this keeps
// the run under 2 minutes). A step is skipped, and says so, if it would leave the machine with
// less than BENCH_MEM_GUARD_MB (3072) free (the VM is shared), judged by BENCH_MEM_ESTIMATE_MB
// (40) per session until the first step measured it.
//
// 'idle CPU %' is the gateway process's CPU (user + system, % of one core) over
// BENCH_MEM_CPU_SECONDS (5) with the sessions idle: the timers of the cores and the supervisor.
//
// Knobs: BENCH_MEM_STEPS (0,100,500,1000), BENCH_MEM_SETTLE_MS (2000) before each sample,
// BENCH_MEM_ISOLATION (none,thread), BENCH_MEM_NONE_MAX (100).
//
//   npx node bench/memory.ts

import { freemem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { optionSpecs } from '../src/options.ts';
import { ImAdmin } from './lib/im-admin.ts';
import { benchOverrides, cpuSeconds, mapLimit, startGateway, startIm } from './lib/procs.ts';
import { envInt, envList, header, percentile, printTable, sleep } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const STEPS = envList('BENCH_MEM_STEPS', [0, 100, 500, 1000]).sort((a, b) => a - b);
const SETTLE_MS = envInt('BENCH_MEM_SETTLE_MS', 2000);
const MODES = (process.env.BENCH_MEM_ISOLATION ?? 'none,thread').split(',').map((s) => s.trim()) as ('none' | 'thread')[];
const NONE_MAX = envInt('BENCH_MEM_NONE_MAX', 100);
const CPU_SECONDS = envInt('BENCH_MEM_CPU_SECONDS', 5);
const MAX = Math.max(...STEPS);
const GUARD_MB = envInt('BENCH_MEM_GUARD_MB', 3 * 1024);
const MiB = 1024 * 1024;
const HEADROOM_MB = optionSpecs.memoryHeadroomMb.default;

header('bench/memory.ts');
const im = await startIm();
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = Array.from({ length: MAX }, (_, i) => `mem${run}u${i}`);
  const t0 = performance.now();
  await admin.register(users);
  const tokens = await mapLimit(users, 20, (u) => admin.userToken(u));
  console.log(`registered ${MAX} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const perSession = new Map<string, number>();
  const rows: Record<string, string | number>[] = [];
  for (const isolation of MODES) {
    const gw = await startGateway(benchOverrides(im, { isolation, warmPool: 0, logLevel: 'warn', startTimeoutMs: 120_000, watchdogMs: 30_000 }));
    try {
      let done = 0;
      let base = 0;
      let estimate = envInt('BENCH_MEM_ESTIMATE_MB', 40); // MB per session until measured
      for (const step of STEPS) {
        if (isolation === 'none' && step > NONE_MAX) break;
        const needMb = (step - done) * estimate;
        if (freemem() / MiB - needMb < GUARD_MB) {
          console.log(`skipping ${isolation} ${step}: needs ~${needMb.toFixed(0)} MB, ${(freemem() / MiB).toFixed(0)} MB free`);
          break;
        }
        const lat: number[] = [];
        const start = performance.now();
        await mapLimit(users.slice(done, step), 4, async (u, i) => {
          const t = performance.now();
          const c = await WireClient.connect(gw.url, u, tokens[done + i]!);
          const r = await c.call('Login', [u, tokens[done + i]!], 60_000);
          if (r.errCode !== 0) throw new Error(`Login ${u}: ${r.errCode} ${r.errMsg}`);
          lat.push(performance.now() - t);
          await c.close(); // the session stays, idle, logged in
        });
        const secs = (performance.now() - start) / 1000;
        done = step;
        await sleep(SETTLE_MS);
        const rss = (await gw.rss()) / MiB;
        // What the idle sessions cost in CPU: nobody is connected, nothing is called.
        const c0 = cpuSeconds(gw.child.pid!);
        await sleep(CPU_SECONDS * 1000);
        const idleCpu = ((cpuSeconds(gw.child.pid!) - c0) / CPU_SECONDS) * 100;
        if (step === 0) base = rss;
        const mbPer = step > 0 ? (rss - base) / step : NaN;
        if (step > 0) {
          perSession.set(isolation, mbPer);
          estimate = Math.max(mbPer * 1.2, 5);
        }
        lat.sort((a, b) => a - b);
        rows.push({
          case: `isolation ${isolation}, ${step} idle sessions`,
          'RSS MB': rss.toFixed(0),
          'MB/session': Number.isFinite(mbPer) ? mbPer.toFixed(2) : '-',
          'idle CPU %': Number.isFinite(idleCpu) ? idleCpu.toFixed(1) : '-',
          'login p50 ms': lat.length ? percentile(lat, 50).toFixed(1) : '-',
          'login p99 ms': lat.length ? percentile(lat, 99).toFixed(1) : '-',
          'logins/s': lat.length ? (lat.length / secs).toFixed(1) : '-',
          ratio: '',
        });
      }
    } finally {
      await gw.close();
    }
  }
  const baseMb = perSession.get('none');
  for (const r of rows) {
    const m = Number(r['MB/session']);
    r.ratio = baseMb && Number.isFinite(m) ? (m / baseMb).toFixed(2) : '-';
  }
  printTable(`RSS of the gateway process with idle logged-in sessions (real core); ratio = MB/session ÷ isolation none at its largest step`, rows);
  const fit = [...perSession].map(([mode, mb]) => ({
    isolation: mode,
    'MB/session': mb.toFixed(2),
    [`max sessions in 16 GiB (−${HEADROOM_MB} MB headroom)`]: Math.floor((16 * 1024 - HEADROOM_MB) / mb),
  }));
  printTable('Sessions that fit in 16 GiB at the measured cost', fit);
} finally {
  await im.close();
}
