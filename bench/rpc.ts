// End-to-end WebSocket calls through the gateway: a client frame → allow-list → (session RPC →
// core →) JSON response, in a closed loop (every connected user keeps one call in flight).
//
//   GetLoginStatus           the gateway checks the session is ready, then asks the core over the
//                            session RPC (src/gateway/connection.ts); the core answers from memory:
//                            the RPC hop with no I/O. The real core here too.
//   GetAllConversationList   goes to the user's SDK core over the session RPC and reads the
//                            local DB: the REAL core (src/core/index.ts), logged in against the
//                            embedded IM server; a fresh user, so the list is empty.
//
// Each with 1, 10 and 100 connected users, for `--isolation none` (the in-process limit: the
// baseline of the ratio), `--isolation thread` (the default) and a bare `ws` echo server (the
// ceiling of the edge: parse + answer, nothing else). Then the p99 at half of thread's maximum
// throughput with 100 users (open loop). The IM server, the gateway and the echo server each run
// in a child process; the load generator is this process.
//
// Knobs: BENCH_RPC_SECONDS (2) per case, BENCH_RPC_USERS (1,10,100).
//
//   npx node bench/rpc.ts

import { ImAdmin } from './lib/im-admin.ts';
import { closedLoop, openLoop } from './lib/load.ts';
import { benchOverrides, mapLimit, startEcho, startGateway, startIm } from './lib/procs.ts';
import { envInt, envList, header, printTable, table, type Row, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const SECONDS = envInt('BENCH_RPC_SECONDS', 2);
const USERS = envList('BENCH_RPC_USERS', [1, 10, 100]);
const FNS = ['GetLoginStatus', 'GetAllConversationList'] as const;
const MAX = Math.max(...USERS);
const WARMUP_S = Math.min(0.5, SECONDS / 4);

header('bench/rpc.ts');
const im = await startIm();
const procs: { close(): Promise<void> }[] = [im];
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = Array.from({ length: MAX }, (_, i) => `rpc${run}u${i}`);
  await admin.register(users);
  const tokens = await mapLimit(users, 10, (u) => admin.userToken(u));

  const results = new Map<string, Sample>(); // `${fn}/${users}/${mode}`
  const halfMax: Sample[] = [];

  // The ceiling: a bare ws echo server.
  {
    const echo = await startEcho();
    procs.push(echo);
    const clients = await mapLimit(users, 20, (u, i) => WireClient.connect(echo.url, u, tokens[i]!));
    for (const fn of FNS) {
      for (const n of USERS) {
        await closedLoop('warmup', clients.slice(0, n), fn, WARMUP_S);
        results.set(`${fn}/${n}/echo`, await closedLoop(`${n} users, bare ws echo (ceiling)`, clients.slice(0, n), fn, SECONDS));
      }
    }
    await Promise.all(clients.map((c) => c.close()));
    await echo.close();
  }

  for (const isolation of ['none', 'thread'] as const) {
    const gw = await startGateway(benchOverrides(im, { isolation }));
    procs.push(gw);
    const clients = await mapLimit(users, 10, async (u, i) => {
      const c = await WireClient.connect(gw.url, u, tokens[i]!);
      const r = await c.call('Login', [u, tokens[i]!]);
      if (r.errCode !== 0) throw new Error(`Login ${u}: ${r.errCode} ${r.errMsg}`);
      return c;
    });
    for (const fn of FNS) {
      for (const n of USERS) {
        await closedLoop('warmup', clients.slice(0, n), fn, WARMUP_S);
        results.set(`${fn}/${n}/${isolation}`, await closedLoop(`${n} users, isolation ${isolation}`, clients.slice(0, n), fn, SECONDS));
      }
    }
    if (isolation === 'thread') {
      for (const fn of FNS) {
        const max = results.get(`${fn}/${MAX}/thread`)!;
        const rate = Math.max(1, Math.round(max.ops / max.seconds / 2));
        halfMax.push(await openLoop(`${fn}, ${MAX} users, thread, open loop at ${rate}/s (half of max)`, clients, fn, rate, SECONDS));
      }
    }
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
  }

  for (const fn of FNS) {
    const rows: Row[] = [];
    for (const n of USERS) {
      const group = ['none', 'thread', 'echo'].map((m) => results.get(`${fn}/${n}/${m}`)!);
      rows.push(...table(group, group[0]!.name, 'ops'));
    }
    printTable(`${fn}${fn === 'GetAllConversationList' ? ' (real core, local DB)' : ' (real core, no I/O)'} — closed loop, ${SECONDS} s per case; ratio = ops/s ÷ isolation none with the same users`, rows);
  }
  const base = halfMax[0]!;
  printTable('p99 at half of the maximum throughput (isolation thread; open loop, latency from the scheduled send); ratio = p99 ÷ first row', table(halfMax, base.name, 'p99'));
} finally {
  for (const p of procs.reverse()) await p.close().catch(() => {});
}
