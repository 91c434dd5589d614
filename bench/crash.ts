// Crash recovery: from a fault injected into user A's worker (POST /admin/.../fault) to A being
// ready again (its tab receives OnConnectSuccess from the restarted core), and user B's call
// latency while A crash-loops vs without it. The gateway fixture core
// (test/fixtures/cores/gateway-core.ts) is used: its Login is local, so the figure excludes the
// upstream re-login round trip and measures the supervisor (exit detection, in-flight rejection,
// backoff, respawn or warm spare, bind, core Login). The restart backoff is 0 here (the default
// first delay, 250 ms with jitter, is a deliberate pause added on top); the restart intensity is
// raised so A is not quarantined. The gateway and the IM server each run in a child process.
//
// A's next fault comes BENCH_CRASH_GAP_MS after it is ready again: 250 ms by default, the pace
// of a crash loop under the default --restart-backoff-ms (a loop cannot go faster in production).
//
// Knobs: BENCH_CRASH_N (30) crashes per case, BENCH_CRASH_SECONDS (4) of B's baseline,
// BENCH_CRASH_GAP_MS (250).
//
//   npx node bench/crash.ts

import { performance } from 'node:perf_hooks';
import { defaultPoolSize } from '../src/supervisor/warm-pool.ts';
import { ImAdmin } from './lib/im-admin.ts';
import { closedLoop } from './lib/load.ts';
import { benchOverrides, GATEWAY_FIXTURE_CORE, startGateway, startIm } from './lib/procs.ts';
import { envInt, header, printTable, sleep, table, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const N = envInt('BENCH_CRASH_N', 30);
const B_SECONDS = envInt('BENCH_CRASH_SECONDS', 4);
const GAP_MS = envInt('BENCH_CRASH_GAP_MS', 250);
const ADMIN = 'bench-admin-token';
const B_FN = 'GetTotalUnreadMsgCount'; // a core call over the session RPC (fixture core)

header('bench/crash.ts');
const im = await startIm();
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const recovery: Sample[] = [];
  const bRows: Sample[] = [];
  const cases = [
    { name: `warm pool (${defaultPoolSize()}), fault 'throw'`, warmPool: 'auto', kind: 'throw', withB: true },
    { name: `warm pool (${defaultPoolSize()}), fault 'exit'`, warmPool: 'auto', kind: 'exit', withB: false },
    { name: "cold spawn, fault 'throw'", warmPool: 0, kind: 'throw', withB: false },
  ] as const;
  for (const c of cases) {
    const a = `crA${run}${c.kind}${c.warmPool}`;
    const b = `crB${run}${c.kind}${c.warmPool}`;
    await admin.register([a, b]);
    const [ta, tb] = [await admin.userToken(a), await admin.userToken(b)];
    const gw = await startGateway(
      benchOverrides(im, { warmPool: c.warmPool, faultInjection: true, adminToken: ADMIN, restartBackoffMs: 0, restartBackoffMaxMs: 0, restartIntensity: 1000, restartPeriodMs: 1000 }),
      GATEWAY_FIXTURE_CORE,
    );
    try {
      const login = async (u: string, t: string) => {
        const cl = await WireClient.connect(gw.url, u, t);
        const r = await cl.call('Login', [u, t]);
        if (r.errCode !== 0) throw new Error(`Login ${u}: ${r.errCode} ${r.errMsg}`);
        return cl;
      };
      const ca = await login(a, ta);
      const cb = await login(b, tb);
      await sleep(1000); // the pool fills
      if (c.withB) {
        await closedLoop('warmup', [cb], B_FN, 0.5);
        bRows.push(await closedLoop("B's calls, A idle (baseline)", [cb], B_FN, B_SECONDS));
      }
      let stop = false;
      const bDuring = c.withB ? closedLoop("B's calls while A crash-loops", [cb], B_FN, () => stop) : null;
      const latencies: number[] = [];
      const start = performance.now();
      for (let i = 0; i < N; i++) {
        const ready = new Promise<number>((resolve) => {
          let sawConnecting = false;
          const off = ca.onEvent((f) => {
            if (f.event === 'OnConnecting') sawConnecting = true;
            else if (f.event === 'OnConnectSuccess' && sawConnecting) {
              off();
              resolve(performance.now());
            }
          });
        });
        const t0 = performance.now();
        const res = await fetch(`${gw.http}/admin/sessions/${a}/5/fault`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: c.kind }),
        });
        if (!res.ok) throw new Error(`fault: ${res.status} ${await res.text()}`);
        latencies.push((await ready) - t0);
        await sleep(GAP_MS);
      }
      stop = true;
      if (bDuring) bRows.push(await bDuring);
      recovery.push({ name: c.name, latencies, ops: N, seconds: (performance.now() - start) / 1000 });
      await ca.close();
      await cb.close();
    } finally {
      await gw.close();
    }
  }
  printTable("Fault in A's worker → A ready again (fixture core, restart backoff 0); ratio = p50 ÷ first row", table(recovery, recovery[0]!.name, 'p50'));
  if (bRows.length) printTable(`User B's calls (fixture core, one call in flight; A faults every ${GAP_MS} ms after recovering); ratio = p99 ÷ baseline`, table(bRows, bRows[0]!.name, 'p99'));
} finally {
  await im.close();
}
