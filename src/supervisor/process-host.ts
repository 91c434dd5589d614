// `--isolation process`: one session's core in its own child process, running the same worker
// entry (workers/session-worker.ts) and the same RPC as a worker thread, over the child's IPC
// channel (advanced serialization, the structured clone a MessagePort uses). What a process
// adds over a thread: a native crash, a signal or an exhausted fd table ends only this process,
// it can always be killed (SIGKILL, even inside a blocking native call), and it can carry OS
// limits (os-limits.ts).
//
//   gateway (this host)                                child process (session-worker.ts)
//   spawn [sh launcher] node --max-old-space-size=…  ─▶ heap check, import core
//          ◀── IPC: LoadedMessage | FatalMessage
//   IPC: BindMessage (no port) ──────────────────────▶ createCore; the IPC channel is the port
//   ════════ the same IPC channel: call/cancel/ping/fault/shutdown ▶ ◀ ready/result/event/… ════════
//          ◀── CrashMessage, then exit 70               uncaught exception / unhandled rejection
//   'close' (code, signal) ─▶ classify                   exit 0 after 'closed' is written
//
// The exit is read on 'close', not 'exit': 'close' comes after the IPC channel and stderr ended,
// so the crash report and V8's out-of-memory message are in by then.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ExitReason, WireError } from '../errors.ts';
import type { BindMessage, CrashMessage, SessionBinding, WorkerBoot, WorkerControlMessage, WorkerToMain } from '../protocol.ts';
import { RpcClient, type RpcClientOptions } from '../rpc/client.ts';
import { IpcPort } from '../rpc/port.ts';
import { HostBase, type BusySampler, type ExitInfo, type SessionHost } from './host.ts';
import { FD_POLL_EVERY, LAUNCHER_FAILED, launchCommand, removeCgroupDir, RSS_POLL_MS, sessionCgroup, type OsEnv, type OsLimits } from './os-limits.ts';
import { cpuBusySampler, openFds, rssBytes } from './proc-stats.ts';
import { SESSION_WORKER_URL, sessionWorkerEnv, youngGenerationMb } from './worker-host.ts';

/** The env var the child reads its WorkerBoot from (a thread gets it as workerData). */
const BOOT_ENV = 'SDKGATE_SESSION_BOOT';
/** The entry's exit status after it reported a crash. */
const CRASH_EXIT = 70;

export interface ProcessHostOptions {
  readonly boot: WorkerBoot;
  readonly log: Logger;
  readonly limits: OsLimits;
  readonly env: OsEnv;
  readonly workerFile?: URL | undefined;
  /** Tests only: extra Node flags for the child. */
  readonly execArgv?: readonly string[] | undefined;
}

const MiB = 1024 * 1024;
const STDERR_TAIL = 4096;
/** Signals a process gets from its own fault, not from someone else. */
const NATIVE = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT', 'SIGTRAP', 'SIGSYS']);
/** V8 writes this to stderr before it aborts at the heap limit (a thread gets ERR_WORKER_OUT_OF_MEMORY). */
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|Allocation failed/;
/** Flags a .ts entry needs on Node 22 (type stripping is on by default from 22.18 / 23.6). */
const INHERITED_FLAGS = /^--(experimental-strip-types|experimental-transform-types|no-experimental-strip-types|no-warnings|disable-warning=.*)$/;

export class ProcessHost extends HostBase implements SessionHost {
  readonly isolation = 'process';
  readonly threadId = null;
  readonly child: ChildProcess;
  readonly pid: number;

  readonly #log: Logger;
  readonly #limits: OsLimits;
  readonly #env: OsEnv;
  readonly #cgroup: string | null;
  #port: IpcPort | null = null;
  #fatal: WireError | null = null;
  #crash: CrashMessage | null = null;
  #stderr = '';
  #killedBySelf = false;
  #monitor: NodeJS.Timeout | undefined;
  /** The last heap figure (from a pong), with the RSS when it came (see heapUsedNow). */
  #lastHeap: { used: number; rss: number } | null = null;

  /** Spawns the child; throws if it cannot (e.g. the session's cgroup cannot be created). */
  constructor(options: ProcessHostOptions) {
    super();
    this.#log = options.log;
    this.#limits = options.limits;
    this.#env = options.env;
    const heapMb = options.boot.heapLimitMb;
    const execArgv = [
      `--max-old-space-size=${heapMb}`,
      // V8's young generation is 3 semi-spaces: the same size a thread's resourceLimits pin.
      `--max-semi-space-size=${Math.max(1, Math.ceil(youngGenerationMb(heapMb) / 3))}`,
      // As for threads (worker-host.ts prepareWorkerIsolates): it woke idle sessions every 8 s.
      '--no-memory-reducer',
      ...process.execArgv.filter((f) => INHERITED_FLAGS.test(f)),
      ...(options.execArgv ?? []),
    ];
    this.#cgroup = sessionCgroup(options.env, options.limits, `s-${randomUUID().slice(0, 8)}`);
    const entry = fileURLToPath(options.workerFile ?? SESSION_WORKER_URL);
    const cmd = launchCommand(process.execPath, [...execArgv, entry], options.limits, options.env, this.#cgroup);
    try {
      this.child = spawn(cmd.file, cmd.args, {
        // stdout is dropped (core logs come over the channel); stderr is read for V8's fatal
        // messages and passed on to the gateway's stderr, where a worker's would go.
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
        env: { ...sessionWorkerEnv(), [BOOT_ENV]: JSON.stringify(options.boot) },
      });
    } catch (e) {
      if (this.#cgroup) removeCgroupDir(this.#cgroup);
      throw e;
    }
    this.pid = this.child.pid ?? -1;

    this.child.on('message', (m: WorkerControlMessage | WorkerToMain) => this.#route(m));
    this.child.on('error', (e) => {
      // A failed spawn has no pid and may never emit 'close'; anything else (a send on a closed
      // channel) only means the child is going away, which 'close' reports.
      if (this.child.pid === undefined) this.#end(null, null, `cannot start: ${e.message}`);
      else this.#log.debug({ err: e.message }, 'session process channel error');
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.child.once('close', (code, signal) => this.#end(code, signal, null));
    if (this.pid > 0) this.#startMonitor();
  }

  bind(binding: SessionBinding, options: RpcClientOptions): RpcClient {
    const port = new IpcPort((m, done) => {
      this.child.send(m as never, undefined, {}, done);
    });
    this.#port = port;
    const client = new RpcClient(port, options);
    const msg: BindMessage = { type: 'bind', binding };
    this.child.send(msg, undefined, {}, () => {});
    return client;
  }

  ref(): void {
    this.child.ref();
    this.child.channel?.ref();
    (this.child.stderr as { ref?: () => void } | null)?.ref?.();
  }

  unref(): void {
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  busySampler(): BusySampler {
    return this.#env.procfs ? cpuBusySampler(this.pid) : () => null;
  }

  /**
   * A process's heap cannot be read from outside, and a spinning child answers no ping: the
   * estimate is the last reported heap plus the RSS the child gained since. A core that grows its
   * heap without yielding grows its RSS by about as much; this only decides whether a stuck
   * child is classified 'oom' (GC thrash) or 'watchdog'.
   */
  heapUsedNow(): Promise<number | null> {
    const last = this.#lastHeap;
    const rss = this.#env.procfs ? rssBytes(this.pid) : null;
    if (!last || rss === null) return Promise.resolve(last?.used ?? null);
    return Promise.resolve(last.used + Math.max(0, rss - last.rss));
  }

  /** SIGKILL: unlike a thread's terminate(), it also ends a blocking native call. */
  protected kill(): void {
    this.#killedBySelf = true;
    this.child.kill('SIGKILL');
  }

  #route(m: WorkerControlMessage | WorkerToMain): void {
    switch (m.type) {
      case 'loaded':
        this.markLoaded(m);
        return;
      case 'fatal':
        this.#fatal = m.error;
        return;
      case 'crash':
        // What a dying process says after this is not an answer: a thread would be gone already.
        this.#crash = m;
        this.#port?.close();
        return;
      case 'pong':
        // Pongs carry the heap (the watchdog pings a busy child every tick, an idle one now and then).
        if (this.#env.procfs) this.#lastHeap = { used: m.heapUsed, rss: rssBytes(this.pid) ?? 0 };
        this.#port?.deliver(m);
        return;
      default:
        this.#port?.deliver(m);
    }
  }

  /** RSS and open fds, read from /proc while the child runs, however stuck it is. */
  #startMonitor(): void {
    if (!this.#env.procfs) return;
    const rssCap = this.#limits.rssMb * MiB;
    const fdCap = this.#limits.openFiles > 0 ? this.#limits.openFiles : this.#env.openFilesInherited;
    if (rssCap <= 0 && !fdCap) return;
    const every = rssCap > 0 ? FD_POLL_EVERY : 1;
    let tick = 0;
    this.#monitor = setInterval(() => {
      if (!this.alive) return;
      if (rssCap > 0) {
        const rss = rssBytes(this.pid);
        if (rss !== null && rss > rssCap) {
          void this.terminate('memory_limit', `RSS ${Math.round(rss / MiB)} MB over the ${this.#limits.rssMb} MB cap`);
          return;
        }
      }
      if (fdCap && ++tick % every === 0) {
        const n = openFds(this.pid);
        if (n !== null && n >= fdCap) void this.terminate('fd_limit', `${n} open files: the limit of ${fdCap} is exhausted`);
      }
    }, rssCap > 0 ? RSS_POLL_MS : RSS_POLL_MS * FD_POLL_EVERY);
    this.#monitor.unref();
  }

  #end(code: number | null, signal: NodeJS.Signals | null, spawnError: string | null): void {
    if (!this.alive) return;
    clearInterval(this.#monitor);
    this.#port?.close();
    if (this.#cgroup) removeWhenEmpty(this.#cgroup);
    this.ended(spawnError ? { reason: 'init_failed', code: -1, detail: spawnError, error: null } : this.#classify(code, signal));
  }

  #classify(code: number | null, signal: NodeJS.Signals | null): ExitInfo {
    const fatal = this.#fatal;
    const crash = this.#crash;
    const intent = this.intent;
    const make = (reason: ExitReason, detail: string): ExitInfo => ({ reason, code: code ?? -1, detail, error: fatal });
    const status = signal ? `signal ${signal}` : `exit code ${code}`;
    const foreignSignal = signal !== null && !(signal === 'SIGKILL' && this.#killedBySelf);
    const oomLine = signal !== null ? this.#stderr.split('\n').find((l) => HEAP_OOM.test(l)) : undefined;
    if (oomLine) return make('oom', oomLine.trim());
    // The process's own failure outranks an intended normal stop: a crash during shutdown is a crash.
    if (intent && (intent.reason !== 'normal' || (!crash && !foreignSignal))) return make(intent.reason, intent.detail);
    if (fatal || !this.running) {
      const said = this.#stderr.trim().split('\n').pop() ?? '';
      const why = fatal ? `${fatal.name}: ${fatal.message}` : crash ? crash.detail : code === LAUNCHER_FAILED ? `launcher: ${said}` : `${status} before ready`;
      return make('init_failed', why);
    }
    if (crash) return make(crash.reason, crash.detail);
    if (code === CRASH_EXIT) return make('exception', 'uncaught exception (the report was lost)');
    if (signal === 'SIGXCPU') return make('cpu_limit', `RLIMIT_CPU of ${this.#limits.cpuSeconds} s reached (SIGXCPU)`);
    if (signal && NATIVE.has(signal)) return make('native_crash', status);
    if (signal) return make('killed', `${status} from outside the gateway`);
    return make('exit', status);
  }
}

/** A cgroup can only be removed once the kernel has let go of the process: retry briefly. */
function removeWhenEmpty(dir: string, attempt = 0): void {
  if (removeCgroupDir(dir) || attempt >= 20) return;
  setTimeout(() => removeWhenEmpty(dir, attempt + 1), 50).unref();
}
