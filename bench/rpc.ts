// End-to-end WebSocket calls through the gateway: a client frame → allow-list → session RPC →
// core → JSON response, in a closed loop (every connected user keeps one call in flight).
//
//   GetLoginStatus           the gateway checks the session is ready, then asks the core over the
//                            session RPC (src/gateway/connection.ts); the core answers from memory:
//                            the RPC hop with no I/O. The real core.
//   GetAllConversationList   goes to the user's SDK core over the session RPC and reads the
//                            local DB: the REAL core (src/core/index.ts), logged in against the
//                            embedded IM server; a fresh user, so the list is empty.
//
// Four servers, each in its own child process, one after the other, with 1, 10 and 100
// connected users:
//   none    `--isolation none`: the in-process limit, the baseline of the ratio;
//   thread  `--isolation thread`, the default;
//   floor   the raw floor of thread isolation: a bare `ws` server forwarding each call to one
//           worker per user over a MessagePort and back, no product code (bench/lib/child.ts);
//   echo    a bare `ws` server answering each frame itself: the ceiling of the edge.
// "cold" rows come right after login (a 0.5 s warm-up), so the workers' code still runs mostly
// in V8's interpreter; "warm" rows come after BENCH_RPC_WARM_SECONDS of load with the largest
// user count, when it has been optimised. Then the p99 at half of thread's maximum (warm if
// measured) throughput with the most users (open loop). 'CPU µs/op' is the server process's CPU
// (every thread, user + system) per call, 'main µs/op' its main thread's share (the rest is the
// workers'): less noisy than wall time on a shared box.
//
// Knobs: BENCH_RPC_SECONDS (2) per case, BENCH_RPC_USERS (1,10,100), BENCH_RPC_WARM_SECONDS (20;
// 0 skips the warm rows), BENCH_RPC_MODES (none,thread,floor,echo).
//
//   npx node bench/rpc.ts

import { ImAdmin } from './lib/im-admin.ts';
import { closedLoop, openLoop } from './lib/load.ts';
import { benchOverrides, mapLimit, startEcho, startFloor, startGateway, startIm, type Proc } from './lib/procs.ts';
import { envInt, envList, header, printTable, table, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const SECONDS = envInt('BENCH_RPC_SECONDS', 2);
const USERS = envList('BENCH_RPC_USERS', [1, 10, 100]);
const WARM_S = envInt('BENCH_RPC_WARM_SECONDS', 20);
const MODES = (process.env.BENCH_RPC_MODES ?? 'none,thread,floor,echo').split(',').map((s) => s.trim()).filter(Boolean) as Mode[];
const FNS = ['GetLoginStatus', 'GetAllConversationList'] as const;
const MAX = Math.max(...USERS);
const WARMUP_S = Math.min(0.5, SECONDS / 4);

type Mode = 'none' | 'thread' | 'floor' | 'echo';
const LABEL: Record<Mode, string> = {
  none: 'isolation none',
  thread: 'isolation thread',
  floor: 'raw floor (ws → worker per user, no product code)',
  echo: 'bare ws echo (ceiling)',
};

interface Measured {
  readonly sample: Sample;
  /** Server CPU seconds during the sample: the whole process, and its main thread. */
  readonly cpu: number;
  readonly mainCpu: number;
}

header('bench/rpc.ts');
const im = await startIm();
const procs: { close(): Promise<void> }[] = [im];
try {
  const admin = new ImAdmin(im.apiAddress);
  const run = Date.now().toString(36);
  const users = Array.from({ length: MAX }, (_, i) => `rpc${run}u${i}`);
  await admin.register(users);
  const tokens = await mapLimit(users, 10, (u) => admin.userToken(u));

  const cold = new Map<string, Measured>(); // `${fn}/${users}/${mode}`
  const warm = new Map<string, Measured>(); // `${fn}/${mode}`, MAX users
  const halfMax: Sample[] = [];

  const measure = async (server: Proc, name: string, clients: readonly WireClient[], fn: string, seconds: number): Promise<Measured> => {
    const c0 = await server.cpu();
    const sample = await closedLoop(name, clients, fn, seconds);
    const c1 = await server.cpu();
    return { sample, cpu: (c1.cpuMs - c0.cpuMs) / 1000, mainCpu: (c1.mainCpuMs - c0.mainCpuMs) / 1000 };
  };

  for (const mode of MODES) {
    const gateway = mode === 'none' || mode === 'thread';
    const server: Proc & { url: string } =
      mode === 'echo' ? await startEcho() : mode === 'floor' ? await startFloor(MAX) : await startGateway(benchOverrides(im, { isolation: mode }));
    procs.push(server);
    const clients = await mapLimit(users, 10, async (u, i) => {
      const c = await WireClient.connect(server.url, u, tokens[i]!);
      if (gateway) {
        const r = await c.call('Login', [u, tokens[i]!]);
        if (r.errCode !== 0) throw new Error(`Login ${u}: ${r.errCode} ${r.errMsg}`);
      }
      return c;
    });
    for (const fn of FNS) {
      for (const n of USERS) {
        await closedLoop('warmup', clients.slice(0, n), fn, WARMUP_S);
        cold.set(`${fn}/${n}/${mode}`, await measure(server, `${n} users, ${LABEL[mode]}`, clients.slice(0, n), fn, SECONDS));
      }
    }
    if (WARM_S > 0 && mode !== 'echo') {
      for (const fn of FNS) {
        await closedLoop('warmup', clients, fn, WARM_S);
        warm.set(`${fn}/${mode}`, await measure(server, `${MAX} users, ${LABEL[mode]}, warm`, clients, fn, SECONDS));
      }
    }
    if (mode === 'thread') {
      for (const fn of FNS) {
        const max = (warm.get(`${fn}/thread`) ?? cold.get(`${fn}/${MAX}/thread`)!).sample;
        const rate = Math.max(1, Math.round(max.ops / max.seconds / 2));
        halfMax.push(await openLoop(`${fn}, ${MAX} users, thread, open loop at ${rate}/s (half of max${warm.size ? ', warm' : ''})`, clients, fn, rate, SECONDS));
      }
    }
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }

  /** Rows for a group, ratio against its first measured member, plus server CPU per call. */
  const rows = (group: (Measured | undefined)[]) => {
    const present = group.filter((m): m is Measured => m !== undefined);
    if (present.length === 0) return [];
    const perOp = (m: Measured, s: number): string => (m.sample.ops ? ((s / m.sample.ops) * 1e6).toFixed(1) : '-');
    return table(present.map((m) => m.sample), present[0]!.sample.name, 'ops').map((r, i) => ({
      ...r,
      'CPU µs/op': perOp(present[i]!, present[i]!.cpu),
      'main µs/op': perOp(present[i]!, present[i]!.mainCpu),
    }));
  };
  for (const fn of FNS) {
    const title = `${fn}${fn === 'GetAllConversationList' ? ' (real core, local DB)' : ' (real core, no I/O)'}`;
    const coldRows = USERS.flatMap((n) => rows(MODES.map((m) => cold.get(`${fn}/${n}/${m}`))));
    printTable(`${title} — cold (0.5 s warm-up), closed loop, ${SECONDS} s per case; ratio = ops/s ÷ the first row with the same users`, coldRows);
    if (warm.size) {
      printTable(`${title} — warm (after ${WARM_S} s of load), ${MAX} users, closed loop, ${SECONDS} s; ratio = ops/s ÷ the first row`, rows(MODES.map((m) => warm.get(`${fn}/${m}`))));
    }
  }
  const ratio = (a: Measured | undefined, b: Measured | undefined): string =>
    a && b ? (a.sample.ops / a.sample.seconds / (b.sample.ops / b.sample.seconds)).toFixed(2) : '-';
  printTable(
    `Summary, ${MAX} users: thread ÷ none and thread ÷ raw floor (throughput ratios, same run)`,
    FNS.flatMap((fn) => [
      { fn, when: 'cold', 'thread ÷ none': ratio(cold.get(`${fn}/${MAX}/thread`), cold.get(`${fn}/${MAX}/none`)), 'thread ÷ floor': ratio(cold.get(`${fn}/${MAX}/thread`), cold.get(`${fn}/${MAX}/floor`)) },
      ...(warm.size ? [{ fn, when: 'warm', 'thread ÷ none': ratio(warm.get(`${fn}/thread`), warm.get(`${fn}/none`)), 'thread ÷ floor': ratio(warm.get(`${fn}/thread`), warm.get(`${fn}/floor`)) }] : []),
    ]),
  );
  if (halfMax.length) {
    printTable('p99 at half of the maximum throughput (isolation thread; open loop, latency from the scheduled send); ratio = p99 ÷ first row', table(halfMax, halfMax[0]!.name, 'p99'));
  }
} finally {
  for (const p of procs.reverse()) await p.close().catch(() => {});
}
