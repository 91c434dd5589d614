// A login storm: BENCH_STORM_USERS distinct users log in through the gateway with the REAL core
// (src/core/index.ts, against the embedded IM server), BENCH_STORM_CONCURRENCY at a time (each
// client: upgrade, InitSDK, Login; it stays connected). Meanwhile BENCH_STORM_NEIGHBOURS users
// logged in before the storm keep calling GetAllConversationList at BENCH_STORM_NEIGHBOUR_RATE
// calls/s each (open loop): their p99 during the storm against the same calls before it is what
// the storm costs everyone else. A login refused with a retryable code (20019
// GW_LOGIN_QUEUE_FULL, 20014 GW_CAPACITY) is retried after the delay the gateway names, as a
// client would, until BENCH_STORM_DEADLINE_S after the storm began.
//
// Reported: logins admitted (in all, and within BENCH_STORM_WINDOW_S of the start), refusals,
// failures; login latency from a user's first attempt to its Login response; the neighbours' p99;
// and the gateway's CPU per admitted login (main thread and workers, from inside the gateway
// process: the storm's CPU including the first sync of every new session, measured until the
// gateway is idle again). Defaults are a gateway's: warm pool, watchdog, start timeout.
//
// Knobs: BENCH_STORM_USERS (300), BENCH_STORM_CONCURRENCY (60), BENCH_STORM_NEIGHBOURS (10),
// BENCH_STORM_NEIGHBOUR_RATE (20), BENCH_STORM_WINDOW_S (10), BENCH_STORM_DEADLINE_S (60),
// BENCH_STORM_LOGIN_TIMEOUT_MS (30000), BENCH_STORM_GATEWAY (JSON of extra gateway options).
//
//   npx node bench/login-storm.ts

import { performance } from 'node:perf_hooks';
import { ImAdmin } from './lib/im-admin.ts';
import { openLoop } from './lib/load.ts';
import { benchOverrides, mapLimit, startGateway, startIm } from './lib/procs.ts';
import { exitSummary, listSessions, loginUser } from './lib/sessions.ts';
import { envInt, header, percentile, printTable, sleep, table } from './lib/stats.ts';
import type { WireClient } from './lib/wsclient.ts';

const USERS = envInt('BENCH_STORM_USERS', 300);
const CONCURRENCY = Math.max(1, envInt('BENCH_STORM_CONCURRENCY', 60));
const NEIGHBOURS = envInt('BENCH_STORM_NEIGHBOURS', 10);
const RATE = Math.max(1, envInt('BENCH_STORM_NEIGHBOUR_RATE', 20));
const WINDOW_S = envInt('BENCH_STORM_WINDOW_S', 10);
const DEADLINE_S = envInt('BENCH_STORM_DEADLINE_S', 60);
const LOGIN_TIMEOUT_MS = envInt('BENCH_STORM_LOGIN_TIMEOUT_MS', 30_000);
const EXTRA = JSON.parse(process.env.BENCH_STORM_GATEWAY || '{}') as Record<string, unknown>;
const RETRYABLE = new Set([20014, 20019]);
const ADMIN = 'bench-admin-token';
const NEIGHBOUR_FN = 'GetAllConversationList';

header('bench/login-storm.ts');
console.log(`${USERS} users, ${CONCURRENCY} at a time; ${NEIGHBOURS} neighbours at ${RATE} calls/s each`);
const im = await startIm();
const clients: WireClient[] = [];
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = Array.from({ length: USERS }, (_, i) => `st${run}u${i}`);
  const neighbourIds = Array.from({ length: NEIGHBOURS }, (_, i) => `st${run}n${i}`);
  await admin.register([...users, ...neighbourIds]);
  const tokens = new Map(await mapLimit([...users, ...neighbourIds], 20, async (u) => [u, await admin.userToken(u)] as const));
  const gw = await startGateway(benchOverrides(im, { adminToken: ADMIN, logLevel: 'warn', ...EXTRA }));
  try {
    const neighbours = await mapLimit(neighbourIds, 4, async (u) => {
      const o = await loginUser(gw.url, u, tokens.get(u)!, LOGIN_TIMEOUT_MS);
      if (o.errCode !== 0 || !o.client) throw new Error(`neighbour ${u}: ${o.errCode} ${o.errMsg}`);
      clients.push(o.client);
      return o.client;
    });
    await sleep(3000); // the neighbours' first sync, the warm pool refill
    const baseline = NEIGHBOURS ? await openLoop('neighbours, before the storm (baseline)', neighbours, NEIGHBOUR_FN, RATE * NEIGHBOURS, 5) : null;
    await sleep(1000);

    const cpu0 = await gw.cpu();
    const t0 = performance.now();
    let stormOver = false;
    // The neighbours' calls run for exactly as long as the storm.
    const during = NEIGHBOURS
      ? (async () => {
          const samples = [];
          while (!stormOver) samples.push(await openLoop('', neighbours, NEIGHBOUR_FN, RATE * NEIGHBOURS, 1));
          return { name: 'neighbours, during the storm', latencies: samples.flatMap((s) => s.latencies), ops: samples.reduce((a, s) => a + s.ops, 0), seconds: samples.reduce((a, s) => a + s.seconds, 0) };
        })()
      : null;
    let refusals = 0;
    const results = await mapLimit(users, CONCURRENCY, async (u) => {
      const first = performance.now();
      for (;;) {
        const o = await loginUser(gw.url, u, tokens.get(u)!, LOGIN_TIMEOUT_MS);
        if (o.errCode === 0 && o.client) {
          clients.push(o.client);
          return { ok: true, ms: performance.now() - first, at: (performance.now() - t0) / 1000, code: 0 };
        }
        void o.client?.close();
        const retryIn = /retry after (\d+) ms/.exec(o.errMsg)?.[1];
        if (RETRYABLE.has(o.errCode) && (performance.now() - t0) / 1000 < DEADLINE_S) {
          refusals++;
          await sleep(Number(retryIn ?? 1000));
          continue;
        }
        return { ok: false, ms: performance.now() - first, at: (performance.now() - t0) / 1000, code: o.errCode, msg: o.errMsg };
      }
    });
    const stormS = (performance.now() - t0) / 1000;
    stormOver = true;
    const duringSample = await during;
    // The storm's CPU includes the new sessions' first sync: wait until the gateway is idle.
    let last = await gw.cpu();
    for (let i = 0; i < 30; i++) {
      await sleep(1000);
      const now = await gw.cpu();
      const busy = (now.cpuMs - last.cpuMs) / 1000;
      last = now;
      if (busy < 0.05 + 0.0005 * USERS) break;
    }
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    const lat = ok.map((r) => r.ms).sort((a, b) => a - b);
    const mainMs = (last.mainCpuMs - cpu0.mainCpuMs) / Math.max(1, ok.length);
    const totalMs = (last.cpuMs - cpu0.cpuMs) / Math.max(1, ok.length);
    const sessions = await listSessions(gw.http, ADMIN);
    printTable(`Login storm: ${USERS} distinct users, ${CONCURRENCY} at a time (real core, gateway defaults)`, [
      {
        admitted: `${ok.length}/${USERS}`,
        [`within ${WINDOW_S} s`]: ok.filter((r) => r.at <= WINDOW_S).length,
        'refusals (retried)': refusals,
        failed: failed.length,
        'login p50 ms': lat.length ? percentile(lat, 50).toFixed(0) : '-',
        'login p99 ms': lat.length ? percentile(lat, 99).toFixed(0) : '-',
        'storm s': stormS.toFixed(1),
        'logins/s': (ok.length / stormS).toFixed(1),
        'CPU ms/login': totalMs.toFixed(0),
        'main-thread ms/login': mainMs.toFixed(0),
        'worker ms/login': (totalMs - mainMs).toFixed(0),
      },
    ]);
    if (failed.length) console.log(`failures: ${[...new Set(failed.map((f) => `${f.code} ${f.msg}`))].slice(0, 5).join('; ')}`);
    console.log(`sessions: ${sessions.filter((s) => s.state === 'ready').length} ready of ${sessions.length}; worker exits: ${exitSummary(sessions)}`);
    if (baseline && duringSample) {
      printTable(`Neighbours: ${NEIGHBOURS} logged-in users calling ${NEIGHBOUR_FN}, ${RATE}/s each (open loop); ratio = p99 ÷ before the storm`, table([baseline, duringSample], baseline.name, 'p99'));
    }
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gw.close();
  }
} finally {
  await im.close();
}
