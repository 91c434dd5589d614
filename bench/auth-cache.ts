// What the token verdict cache still saves now that only the running session's own token (or one
// upstream accepted just now) may attach (issue 9): a reconnect, or another tab, with the
// session's own token. Measured side by side against forced verification (--auth-cache-ttl-ms 0:
// every upgrade asks parse_token), with the IM server in its own process so the gateway process's
// figures are the gateway's alone:
//
//   latency     new WebSocket → InitSDK → Login answered (attach to the running session)
//   main ms     the gateway main thread's CPU per reconnect (process.threadCpuUsage)
//   cpu ms      the gateway process's CPU per reconnect (all threads; the session worker is idle)
//   parse_token requests the IM server saw per reconnect
//
// Plus the cost this issue added: a session started from a cached verdict asks parse_token once
// more, at Login (counted, for the default cache).
//
// Knobs: BENCH_AUTH_N (300) reconnects per case, BENCH_AUTH_WARMUP (30).
//
//   npx node bench/auth-cache.ts

import { performance } from 'node:perf_hooks';
import { ImAdmin } from './lib/im-admin.ts';
import { benchOverrides, GATEWAY_FIXTURE_CORE, startGateway, startIm, type Proc } from './lib/procs.ts';
import { envInt, header, percentile, printTable, sleep } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const N = envInt('BENCH_AUTH_N', 300);
const WARMUP = envInt('BENCH_AUTH_WARMUP', 30);

header('bench/auth-cache.ts');

const im = await startIm(Math.max(1000, 2 * (N + WARMUP) + 100));
const parseTokens = async () => (await im.requests()).filter((r) => r === '/auth/parse_token').length;

async function login(url: string, userID: string, token: string): Promise<{ c: WireClient; ms: number }> {
  const t = performance.now();
  const c = await WireClient.connect(url, userID, token);
  const r = await c.call('Login', [userID, token]);
  if (r.errCode !== 0) throw new Error(`Login answered ${r.errCode} ${r.errMsg}`);
  return { c, ms: performance.now() - t };
}

interface Result {
  case: string;
  n: number;
  'p50 ms': string;
  'p99 ms': string;
  'main ms/op': string;
  'cpu ms/op': string;
  'parse_token/op': string;
}

async function reconnects(name: string, gw: Proc & { url: string }, userID: string, token: string): Promise<Result> {
  const keep = await login(gw.url, userID, token); // the session stays up through the run
  for (let i = 0; i < WARMUP; i++) await (await login(gw.url, userID, token)).c.close();
  await sleep(200);
  const pt0 = await parseTokens();
  const cpu0 = await gw.cpu();
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const { c, ms } = await login(gw.url, userID, token);
    lat.push(ms);
    await c.close();
  }
  const cpu1 = await gw.cpu();
  const pt1 = await parseTokens();
  await keep.c.close();
  lat.sort((a, b) => a - b);
  return {
    case: name,
    n: N,
    'p50 ms': percentile(lat, 50).toFixed(3),
    'p99 ms': percentile(lat, 99).toFixed(3),
    'main ms/op': ((cpu1.mainCpuMs - cpu0.mainCpuMs) / N).toFixed(3),
    'cpu ms/op': ((cpu1.cpuMs - cpu0.cpuMs) / N).toFixed(3),
    'parse_token/op': ((pt1 - pt0) / N).toFixed(2),
  };
}

const rows: Result[] = [];
let newSessionCalls: string;
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = [`ac-cache-${run}`, `ac-forced-${run}`, `ac-start-${run}`];
  await admin.register(users);

  const cached = await startGateway(benchOverrides(im), GATEWAY_FIXTURE_CORE);
  try {
    rows.push(await reconnects('reconnect with the session\'s own token, verdict cached (default)', cached, users[0]!, await admin.userToken(users[0]!)));
    // A session started from a cached verdict: its Login asks upstream once (it used to ask nothing).
    const token = await admin.userToken(users[2]!);
    const first = await login(cached.url, users[2]!, token);
    const bye = await first.c.call('Logout', []);
    if (bye.errCode !== 0) throw new Error(`Logout answered ${bye.errCode}`);
    await first.c.close();
    await sleep(300);
    const before = await parseTokens();
    await (await login(cached.url, users[2]!, token)).c.close();
    newSessionCalls = String((await parseTokens()) - before);
  } finally {
    await cached.close();
  }

  const forced = await startGateway(benchOverrides(im, { authCacheTtlMs: 0 }), GATEWAY_FIXTURE_CORE);
  try {
    rows.push(await reconnects('reconnect, every upgrade verified upstream (--auth-cache-ttl-ms 0)', forced, users[1]!, await admin.userToken(users[1]!)));
  } finally {
    await forced.close();
  }
} finally {
  await im.close();
}

printTable(`Reconnects to a running session (${N} sequential, fixture core; IM server in its own process)`, rows);
const [hit, miss] = rows;
if (hit && miss) {
  const ratio = (k: keyof Result) => (Number(miss[k]) / Number(hit[k])).toFixed(2);
  console.log(`forced ÷ cached: p50 ${ratio('p50 ms')}x, main-thread ${ratio('main ms/op')}x, process CPU ${ratio('cpu ms/op')}x`);
}
console.log(`a new session started from a cached verdict asked parse_token ${newSessionCalls} time(s) (at Login)`);
