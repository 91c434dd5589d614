// Start the servers a bench measures, each in its own child process (bench/lib/child.ts), on
// loopback and ephemeral ports, with temp dirs removed on close.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  /** The child's RSS in bytes (gateway: main thread, every worker, every socket). */
  rss(): Promise<number>;
  /** CPU the child used so far: all threads, and its main thread alone, ms. */
  cpu(): Promise<{ cpuMs: number; mainCpuMs: number }>;
  /** The IM server's logged REST routes, oldest first (started with `requestLog`). */
  requests(): Promise<string[]>;
  /** RSS and PSS in bytes of the child and its descendants (session processes), and how many. */
  treeMemory(): Promise<{ rss: number; pss: number; processes: number }>;
  close(): Promise<void>;
}

function waitFor<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`child: no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMsg = (m: { type: string }) => {
      if (m.type === type) {
        cleanup();
        resolve(m as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (${code}) before ${type}`));
    };
    const cleanup = () => {
      clearTimeout(t);
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

async function spawnChild<T>(start: Record<string, unknown>, cleanupDir?: string, execArgv: string[] = []): Promise<Proc & T> {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const started = waitFor<T>(child, 'started');
  child.send({ type: 'start', ...start });
  const info = await started;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    ...info,
    child,
    async rss() {
      const reply = waitFor<{ rss: number }>(child, 'rss', 10_000);
      child.send({ type: 'rss' });
      return (await reply).rss;
    },
    async cpu() {
      const reply = waitFor<{ cpuMs: number; mainCpuMs: number }>(child, 'cpu', 10_000);
      child.send({ type: 'cpu' });
      const { cpuMs, mainCpuMs } = await reply;
      return { cpuMs, mainCpuMs };
    },
    async requests() {
      const reply = waitFor<{ routes: string[] }>(child, 'requests', 10_000);
      child.send({ type: 'requests' });
      return (await reply).routes;
    },
    async treeMemory() {
      const reply = waitFor<{ rss: number; pss: number; processes: number }>(child, 'tree', 10_000);
      child.send({ type: 'tree' });
      const { rss, pss, processes } = await reply;
      return { rss, pss, processes };
    },
    async close() {
      if (child.exitCode === null) {
        child.send({ type: 'close' });
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
      if (cleanupDir) rmSync(cleanupDir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
/**
 * Voluntary context switches (≈ wake-ups from sleep) so far per thread name ('MainThread',
 * 'sdkgate-session', 'V8Worker', ...) of a process, from /proc (Linux); empty elsewhere.
 */
export function wakeups(pid: number): Map<string, { threads: number; switches: number }> {
  const out = new Map<string, { threads: number; switches: number }>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      const n = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] ?? 0);
      const e = out.get(name) ?? { threads: 0, switches: 0 };
      out.set(name, { threads: e.threads + 1, switches: e.switches + n });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

// USER_HZ: 100 on every Linux the benches run on (sysconf(_SC_CLK_TCK) is not reachable from Node).
const CLK_TCK = 100;

/** `requestLog`: keep the last N REST requests (Proc.requests()); off by default. */
export function startIm(requestLog?: number): Promise<Proc & { apiAddress: string; wsAddress: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sdkgate-bench-im-'));
  return spawnChild({ kind: 'im', dataDir: dir, ...(requestLog ? { requestLog } : {}) }, dir);
}

/** BENCH_GATEWAY_EXECARGV (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the gateway. */
export function startGateway(overrides: Record<string, unknown>, coreModule?: string): Promise<Proc & { url: string; http: string }> {
  const execArgv = (process.env.BENCH_GATEWAY_EXECARGV ?? '').split(' ').filter(Boolean);
  return spawnChild({ kind: 'gateway', overrides, ...(coreModule ? { coreModule } : {}) }, undefined, execArgv);
}

export function startEcho(): Promise<Proc & { url: string }> {
  return spawnChild({ kind: 'echo' });
}

/** The raw floor: a bare ws server forwarding each connection's calls to one of `workers` workers. */
export function startFloor(workers: number): Promise<Proc & { url: string }> {
  return spawnChild({ kind: 'floor', workers });
}

/** Options every bench gateway shares: loopback clients, limits lifted so they measure latency. */
export function benchOverrides(im: { apiAddress: string; wsAddress: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiAddress: im.apiAddress,
    wsAddress: im.wsAddress,
    maxUpgradesPerIp: 100_000,
    maxConnsPerUser: 1000,
    ratePerConn: 100_000,
    rateBurst: 100_000,
    sessionQueue: 10_000,
    idleGraceMs: 600_000,
    // The benches size the budget themselves; admission is measured by tests, not here.
    memoryBudgetMb: 1_048_576,
    ...extra,
  };
}

export const GATEWAY_FIXTURE_CORE = fileURLToPath(new URL('../../test/fixtures/cores/gateway-core.ts', import.meta.url));

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
