// One session worker thread: spawn with resourceLimits, the boot handshake, bind, and the
// classification of its exit. Every exit becomes exactly one ExitReason.
//
// 'error', 'exit' and 'messageerror' listeners are attached in the constructor, before anything
// can happen: a Worker without an 'error' listener rethrows the worker's exception in the main
// thread and takes the whole gateway down.

import { enableCompileCache, constants as moduleConstants } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ExitReason, WireError } from '../errors.ts';
import type { BindMessage, SessionBinding, WorkerBoot, WorkerControlMessage } from '../protocol.ts';
import { moduleUrl } from '../module-url.ts';
import { RpcClient, type RpcClientOptions } from '../rpc/client.ts';
import { HostBase, type BusySampler, type ExitInfo, type SessionHost } from './host.ts';
import { heapUsedNow } from './watchdog.ts';

export type { ExitInfo } from './host.ts';

export const SESSION_WORKER_URL = moduleUrl('../../workers/session-worker', import.meta.url);

export interface WorkerHostOptions {
  readonly boot: WorkerBoot;
  readonly log: Logger;
  readonly workerFile?: URL;
  /** Tests only: extra V8/Node flags for the worker. */
  readonly execArgv?: readonly string[];
}

let cacheDir: string | null | undefined;

/**
 * The environment session workers start with: the process's, plus Node's on-disk compile cache
 * (NODE_COMPILE_CACHE). Every worker is a fresh isolate that strips the TypeScript of its entry,
 * the RPC and the core again; with the cache it reuses the stripped, compiled code instead:
 * spawn + core load went from ~110 ms to ~40 ms on the bench VM (docs/performance.md).
 * An operator's NODE_COMPILE_CACHE (or NODE_DISABLE_COMPILE_CACHE) wins.
 */
export function sessionWorkerEnv(): NodeJS.ProcessEnv {
  if (process.env.NODE_COMPILE_CACHE || process.env.NODE_DISABLE_COMPILE_CACHE) return process.env;
  if (cacheDir === undefined) {
    cacheDir = null;
    try {
      const r = enableCompileCache();
      const ok = r.status === moduleConstants.compileCacheStatus.ENABLED || r.status === moduleConstants.compileCacheStatus.ALREADY_ENABLED;
      if (ok && r.directory) cacheDir = r.directory;
    } catch {
      // No cache: workers just start slower.
    }
  }
  return cacheDir ? { ...process.env, NODE_COMPILE_CACHE: cacheDir } : process.env;
}

let isolatesPrepared = false;

/**
 * Process-wide V8 settings for the session workers, applied once before the first one starts.
 * V8 flags cannot be given per Worker (ERR_WORKER_INVALID_EXEC_ARGV), but this one is read when
 * an isolate is created, so it reaches every worker and leaves the main thread's isolate as it is.
 *
 * --no-memory-reducer: in an idle session worker V8's memory reducer kept measuring the login's
 * allocation rate as high (no GC runs to update it) and re-armed itself every 8 s, forever,
 * without ever collecting (--trace-memory-reducer): half of an idle session's wake-ups, for
 * nothing. Idle CPU per 100 sessions 0.60 -> 0.43 % in one A/B, RSS unchanged.
 */
function prepareWorkerIsolates(): void {
  if (isolatesPrepared) return;
  isolatesPrepared = true;
  setFlagsFromString('--no-memory-reducer');
}

/**
 * Young generation: 1/64 of the old one, 2 to 16 MB (2 MB at the default 128 MB heap). Pinned so
 * heap_size_limit is predictable, and small because it is most of an idle session's memory: V8
 * grows the semi-spaces during the login's first sync and never shrinks them while the worker
 * sits idle (no GC runs). 16 MB cost ~24.5 MB RSS per idle session, 2 MB ~15 MB, with the same
 * CPU per call (docs/performance.md).
 */
export function youngGenerationMb(oldMb: number): number {
  return Math.min(16, Math.max(2, Math.round(oldMb / 64)));
}

export class WorkerHost extends HostBase implements SessionHost {
  readonly isolation = 'thread';
  readonly worker: Worker;
  readonly threadId: number;
  readonly pid = process.pid;

  readonly #log: Logger;
  #error: (Error & { code?: unknown }) | null = null;
  #fatal: WireError | null = null;

  constructor(options: WorkerHostOptions) {
    super();
    this.#log = options.log;
    const oldMb = options.boot.heapLimitMb;
    prepareWorkerIsolates();
    this.worker = new Worker(options.workerFile ?? SESSION_WORKER_URL, {
      workerData: options.boot,
      env: sessionWorkerEnv(),
      resourceLimits: { maxOldGenerationSizeMb: oldMb, maxYoungGenerationSizeMb: youngGenerationMb(oldMb) },
      ...(options.execArgv ? { execArgv: [...options.execArgv] } : {}),
      // The worker's stdout/stderr are the process's; its logs come over the session port.
      name: 'sdkgate-session',
    });
    this.threadId = this.worker.threadId;

    this.worker.on('message', (m: WorkerControlMessage) => {
      if (m.type === 'loaded') {
        this.markLoaded(m);
      } else if (m.type === 'fatal') {
        this.#fatal = m.error;
      }
    });
    this.worker.on('error', (e: Error) => {
      this.#error = e;
    });
    this.worker.on('messageerror', (e) => {
      this.#log.error({ err: e }, 'worker control message could not be deserialised');
    });
    this.worker.once('exit', (code) => {
      this.ended(this.#classify(code));
    });
  }

  /** Hand the worker its session and the session's MessagePort; returns the RPC client. */
  bind(binding: SessionBinding, options: RpcClientOptions): RpcClient {
    const { port1, port2 } = new MessageChannel();
    const client = new RpcClient(port1, options);
    const msg: BindMessage = { type: 'bind', binding, port: port2 };
    this.worker.postMessage(msg, [port2]);
    return client;
  }

  ref(): void {
    this.worker.ref();
  }

  unref(): void {
    this.worker.unref();
  }

  /** Event-loop utilisation, read from the main thread: it answers while the worker spins. */
  busySampler(): BusySampler {
    const perf = this.worker.performance;
    let prev = perf.eventLoopUtilization();
    return () => {
      const cur = perf.eventLoopUtilization();
      const u = perf.eventLoopUtilization(cur, prev).utilization;
      prev = cur;
      return u;
    };
  }

  heapUsedNow(timeoutMs: number): Promise<number | null> {
    return heapUsedNow(this.worker, timeoutMs);
  }

  /** `terminate()` cannot interrupt a blocking native call; see docs. */
  protected async kill(): Promise<void> {
    await this.worker.terminate();
  }

  #classify(code: number): ExitInfo {
    const fatal = this.#fatal;
    const e = this.#error;
    const intent = this.intent;
    const make = (reason: ExitReason, detail: string): ExitInfo => ({ reason, code, detail, error: fatal });
    if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return make('oom', e.message);
    if (intent && (intent.reason !== 'normal' || !e)) return make(intent.reason, intent.detail);
    if (fatal || !this.running) {
      return make('init_failed', fatal ? `${fatal.name}: ${fatal.message}` : e ? `${e.name}: ${e.message}` : `exit code ${code} before ready`);
    }
    if (e?.name === 'UnhandledRejection') return make('unhandled_rejection', e.message);
    if (e) return make('exception', `${e.name}: ${e.message}`);
    return make('exit', `exit code ${code}`);
  }
}
