// Callback fan-out: one callback of a session to 1, 10 and 100 tabs (connections) of the same
// (userID, platformID). Tab 0 calls SetConversationDraft; the core emits OnConversationChanged
// once; the supervisor hands it to every attached connection, which sends it. The figure is the
// time from tab 0 sending the call to the LAST tab having the event (one RPC round trip plus the
// fan-out), and events delivered per second. The gateway fixture core
// (test/fixtures/cores/gateway-core.ts) is used: the figure is about the gateway, not the core.
// The gateway and the IM server each run in a child process; the tabs are this process.
//
// Knobs: BENCH_FANOUT_TABS (1,10,100), BENCH_FANOUT_N (200) callbacks per case.
//
//   npx node bench/fanout.ts

import { performance } from 'node:perf_hooks';
import { ImAdmin } from './lib/im-admin.ts';
import { benchOverrides, GATEWAY_FIXTURE_CORE, mapLimit, startGateway, startIm } from './lib/procs.ts';
import { envInt, envList, header, printTable, table, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const TABS = envList('BENCH_FANOUT_TABS', [1, 10, 100]);
const N = envInt('BENCH_FANOUT_N', 200);
const MAX = Math.max(...TABS);
const WARMUP = Math.min(20, N);

header('bench/fanout.ts');
const im = await startIm();
try {
  const admin = new ImAdmin(im.apiAddress);
  const user = `fan${Date.now().toString(36)}`;
  await admin.register([user]);
  const token = await admin.userToken(user);
  const gw = await startGateway(benchOverrides(im), GATEWAY_FIXTURE_CORE);
  try {
    const tabs = await mapLimit(Array.from({ length: MAX }, (_, i) => i), 10, async () => {
      const c = await WireClient.connect(gw.url, user, token);
      const r = await c.call('Login', [user, token]);
      if (r.errCode !== 0) throw new Error(`Login: ${r.errCode} ${r.errMsg}`);
      return c;
    });
    // Every connected tab gets every callback, so a case with n tabs must have exactly n
    // connected: cases run from the largest down, closing the surplus tabs between cases.
    const samples: Sample[] = [];
    let seq = 0;
    for (const n of [...TABS].sort((a, b) => b - a)) {
      while (tabs.length > n) await tabs.pop()!.close();
      const one = async (): Promise<number> => {
        const draft = `d${++seq}`;
        const needle = `"draftText":"${draft}"`;
        const t0 = performance.now();
        const arrivals = tabs.map(
          (c) =>
            new Promise<void>((resolve) => {
              const off = c.onEvent((f) => {
                if (f.event === 'OnConversationChanged' && f.data.includes(needle)) {
                  off();
                  resolve();
                }
              });
            }),
        );
        const r = await tabs[0]!.call('SetConversationDraft', ['si_a_b', draft]);
        if (r.errCode !== 0) throw new Error(`SetConversationDraft: ${r.errCode} ${r.errMsg}`);
        await Promise.all(arrivals);
        return performance.now() - t0;
      };
      for (let i = 0; i < WARMUP; i++) await one();
      const latencies: number[] = [];
      const start = performance.now();
      for (let i = 0; i < N; i++) latencies.push(await one());
      const seconds = (performance.now() - start) / 1000;
      samples.push({ name: `${n} tab${n === 1 ? '' : 's'}`, latencies, ops: N * n, seconds });
    }
    samples.reverse();
    printTable(`One callback to n tabs of one user (fixture core): call sent → last tab has the event; ops/s = events delivered; ratio = p50 ÷ 1 tab`, table(samples, samples[0]!.name, 'p50'));
    await Promise.all(tabs.map((c) => c.close()));
  } finally {
    await gw.close();
  }
} finally {
  await im.close();
}
