// Login latency: from the WebSocket upgrade (new WebSocket) to the Login response, and to the
// session being ready (the Login response AND OnConnectSuccess both received), for a cold
// spawn (--warm-pool 0) and the warm pool (--warm-pool auto), sequential (a gap between logins
// lets the pool refill, as at a normal arrival rate) and 50 concurrent (a login storm; the pool
// holds only K spares, so most of the storm is cold either way).
//
// Two cores: the REAL core (src/core/index.ts; Login goes upstream: REST + long connection to
// the embedded IM server), and the gateway fixture core (test/fixtures/cores/gateway-core.ts;
// Login is local), which isolates what the gateway and supervisor cost. Plus the cold start
// itself: spawn a session worker and wait until it has loaded the core (WorkerHost.loaded),
// in this process.
//
// Knobs: BENCH_LOGIN_N (20) sequential logins per case, BENCH_LOGIN_CONCURRENT (50),
// BENCH_LOGIN_GAP_MS (300) between sequential logins, BENCH_LOGIN_SPAWNS (20),
// BENCH_LOGIN_SPAWNS_ONLY=1 (the cold start tables only).
//
//   npx node bench/login.ts

import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { PROTOCOL_VERSION } from '../src/protocol.ts';
import { DEFAULT_CORE_MODULE } from '../src/supervisor/index.ts';
import { WorkerHost } from '../src/supervisor/worker-host.ts';
import { defaultPoolSize } from '../src/supervisor/warm-pool.ts';
import { sessionWorkerBundle } from '../src/supervisor/worker-bundle.ts';
import { ImAdmin } from './lib/im-admin.ts';
import { benchOverrides, GATEWAY_FIXTURE_CORE, mapLimit, startGateway, startIm } from './lib/procs.ts';
import { envInt, header, percentile, printTable, sleep, table, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const N = envInt('BENCH_LOGIN_N', 20);
const CONCURRENT = envInt('BENCH_LOGIN_CONCURRENT', 50);
const GAP_MS = envInt('BENCH_LOGIN_GAP_MS', 300);
const SPAWNS = envInt('BENCH_LOGIN_SPAWNS', 20);

header('bench/login.ts');

// ---- cold start: worker spawn + core load, in this process ----
// The cases take turns, one spawn each, so a change in the machine's load hits them alike.
interface SpawnCase {
  readonly name: string;
  readonly coreModule: string;
  readonly compileCache: boolean;
  readonly workerFile?: URL | undefined;
}
async function spawnOnce(c: SpawnCase): Promise<{ ms: number; cpuMs: number }> {
  if (!c.compileCache) process.env.NODE_DISABLE_COMPILE_CACHE = '1';
  const t = performance.now();
  const host = new WorkerHost({
    boot: { protocolVersion: PROTOCOL_VERSION, coreModule: c.coreModule, heapLimitMb: 128, faultInjection: false, logLevel: 'silent' },
    log: pino({ level: 'silent' }),
    ...(c.workerFile ? { workerFile: c.workerFile } : {}),
  });
  delete process.env.NODE_DISABLE_COMPILE_CACHE;
  await host.loaded;
  const ms = performance.now() - t;
  const cpu = await host.worker.cpuUsage();
  await host.terminate('normal', 'bench');
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
async function bareWorker(): Promise<{ ms: number; cpuMs: number }> {
  const t = performance.now();
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(1); setTimeout(() => {}, 60_000)', { eval: true });
  await new Promise((r) => w.once('message', r));
  const ms = performance.now() - t;
  const cpu = await w.cpuUsage();
  await w.terminate();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
const bundle = sessionWorkerBundle(DEFAULT_CORE_MODULE, 'thread', pino());
const BARE = 'bare Worker (eval, posts once): the floor';
const cases: SpawnCase[] = [
  { name: 'session worker + fixture core, no compile cache', coreModule: GATEWAY_FIXTURE_CORE, compileCache: false },
  { name: 'session worker + fixture core', coreModule: GATEWAY_FIXTURE_CORE, compileCache: true },
  { name: 'session worker + real core, no compile cache', coreModule: DEFAULT_CORE_MODULE, compileCache: false },
  { name: 'session worker + real core', coreModule: DEFAULT_CORE_MODULE, compileCache: true },
  ...(bundle
    ? [
        { name: 'worker bundle (entry + real core), no compile cache', coreModule: DEFAULT_CORE_MODULE, compileCache: false, workerFile: bundle },
        { name: 'worker bundle (entry + real core): what sessions run', coreModule: DEFAULT_CORE_MODULE, compileCache: true, workerFile: bundle },
      ]
    : []),
];
const got = new Map<string, { ms: number[]; cpuMs: number[] }>([BARE, ...cases.map((c) => c.name)].map((n) => [n, { ms: [], cpuMs: [] }]));
const spawnStart = performance.now();
for (let i = 0; i < SPAWNS; i++) {
  for (const c of [null, ...cases]) {
    const r = c ? await spawnOnce(c) : await bareWorker();
    const g = got.get(c ? c.name : BARE)!;
    g.ms.push(r.ms);
    g.cpuMs.push(r.cpuMs);
  }
}
const spawnSeconds = (performance.now() - spawnStart) / 1000;
const spawnRows: Sample[] = [...got].map(([name, g]) => ({ name, latencies: g.ms, ops: SPAWNS, seconds: spawnSeconds }));
printTable(`Cold start: new Worker → core module loaded (WorkerHost.loaded; ${SPAWNS} of each, taking turns); ratio = p50 ÷ bare Worker`, table(spawnRows, BARE, 'p50'));
printTable('The same spawns: CPU of the worker thread until loaded (worker.cpuUsage())', [...got].map(([name, g]) => {
  const sorted = [...g.cpuMs].sort((x, y) => x - y);
  return { case: name, 'CPU ms p50': percentile(sorted, 50).toFixed(1), 'CPU ms min': sorted[0]!.toFixed(1) };
}));
if (process.env.BENCH_LOGIN_SPAWNS_ONLY === '1') process.exit(0);

// ---- logins through the gateway ----
const im = await startIm();
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  let seq = 0;
  const fresh = async (count: number): Promise<{ u: string; t: string }[]> => {
    const us = Array.from({ length: count }, () => `lg${run}u${seq++}`);
    await admin.register(us);
    return mapLimit(us, 10, async (u) => ({ u, t: await admin.userToken(u) }));
  };

  interface One { login: number; ready: number }
  const loginOnce = async (url: string, u: string, t: string): Promise<{ one: One; client: WireClient }> => {
    const t0 = performance.now();
    const client = await WireClient.connect(url, u, t);
    let connected: number | null = null;
    const got = new Promise<void>((resolve) => {
      const off = client.onEvent((f) => {
        if (f.event === 'OnConnectSuccess') {
          connected = performance.now();
          off();
          resolve();
        }
      });
    });
    const r = await client.call('Login', [u, t]);
    const login = performance.now() - t0;
    if (r.errCode !== 0) throw new Error(`Login ${u}: ${r.errCode} ${r.errMsg}`);
    await Promise.race([got, sleep(10_000)]);
    const ready = Math.max(login, (connected ?? Infinity) - t0);
    return { one: { login, ready }, client };
  };

  const loginRows: Sample[] = [];
  const readyRows: Sample[] = [];
  for (const [coreName, coreModule] of [['real core', undefined], ['fixture core', GATEWAY_FIXTURE_CORE]] as const) {
    for (const [poolName, warmPool] of [['cold spawn', 0], [`warm pool (${defaultPoolSize()})`, 'auto']] as const) {
      const gw = await startGateway(benchOverrides(im, { warmPool }), coreModule);
      try {
        await sleep(1500); // the pool fills
        // Sequential.
        const seqUsers = await fresh(N);
        const seqRes: One[] = [];
        let start = performance.now();
        for (const { u, t } of seqUsers) {
          const { one, client } = await loginOnce(gw.url, u, t);
          seqRes.push(one);
          await client.call('Logout');
          await client.close();
          await sleep(GAP_MS);
        }
        let secs = (performance.now() - start) / 1000;
        const nameSeq = `${coreName}, ${poolName}, sequential`;
        loginRows.push({ name: nameSeq, latencies: seqRes.map((r) => r.login), ops: N, seconds: secs });
        readyRows.push({ name: nameSeq, latencies: seqRes.map((r) => r.ready), ops: N, seconds: secs });
        await sleep(1500);
        // Concurrent.
        const conUsers = await fresh(CONCURRENT);
        start = performance.now();
        const conRes = await Promise.all(conUsers.map(({ u, t }) => loginOnce(gw.url, u, t)));
        secs = (performance.now() - start) / 1000;
        const nameCon = `${coreName}, ${poolName}, ${CONCURRENT} concurrent`;
        loginRows.push({ name: nameCon, latencies: conRes.map((r) => r.one.login), ops: CONCURRENT, seconds: secs });
        readyRows.push({ name: nameCon, latencies: conRes.map((r) => r.one.ready), ops: CONCURRENT, seconds: secs });
        await Promise.all(conRes.map(async ({ client }) => {
          await client.call('Logout');
          await client.close();
        }));
      } finally {
        await gw.close();
      }
    }
  }
  printTable('Upgrade → Login response; ratio = p50 ÷ the first row (real core, cold, sequential)', table(loginRows, loginRows[0]!.name, 'p50'));
  printTable('Upgrade → session ready (Login response and OnConnectSuccess); ratio = p50 ÷ the first row', table(readyRows, readyRows[0]!.name, 'p50'));
} finally {
  await im.close();
}
