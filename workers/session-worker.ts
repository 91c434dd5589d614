// Session worker entry: hosts ONE user's SDK core, in a worker thread (`--isolation thread`) or
// in a child process (`--isolation process`, src/supervisor/process-host.ts): the same file, the
// same messages. Thin on purpose; it imports only the protocol types, the error catalog, the
// worker half of the RPC, the core contract and its fault module, never the gateway or the
// supervisor. The two differ only in their channel (below) and in how a crash reaches the main
// side: a thread's uncaught error is the Worker's 'error' event; a process reports it
// (CrashMessage) before it exits, and leaves when its parent's IPC channel goes away.
//
//   main thread (gateway + supervisor)                 this worker (one per userID+platformID)
//   ──────────────────────────────────                 ───────────────────────────────────────
//   new Worker(workerData: WorkerBoot,
//              resourceLimits: {old, young}) ────────▶ 1. check v8 heap_size_limit == asked
//                                                         (NODE_OPTIONS=--max-old-space-size
//                                                          silently overrides resourceLimits)
//                                                      2. import(boot.coreModule), or the
//                                                         core linked into the bundle
//                    parentPort ◀──────────────────── LoadedMessage | FatalMessage (+ exit 1)
//   BindMessage {binding, port} ── parentPort ───────▶ 3. mkdir -p dataDir; createCore(init)
//   ═══════════════════ session MessagePort (src/rpc) ═══════════════════
//   RpcClient ── call/cancel/ping/fault/shutdown ────▶ RpcServer ── core.functions[fn](ctx,...args)
//             ◀── ready/result/event/pong(+heap)/log/closed ── core emit()
//
//   exits: shutdown -> core.close(reason) -> 'closed' -> exit 0       (classified 'normal')
//          uncaught throw -> 'error' event                            ('exception')
//          unhandled rejection -> rethrown as UnhandledRejection      ('unhandled_rejection')
//          heap limit -> ERR_WORKER_OUT_OF_MEMORY                     ('oom')
//          process.exit(n != 0)                                       ('exit')
//          busy loop -> terminated by the main-thread watchdog        ('watchdog')
//          anything before 'ready'                                    ('init_failed')
//   process only: abort/segfault ('native_crash'), a foreign SIGKILL ('killed'), the OS limits
//          ('memory_limit', 'cpu_limit', 'fd_limit'); see process-host.ts

import { flushCompileCache } from 'node:module';
import { isMainThread, parentPort, resourceLimits, threadId, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { PROTOCOL_VERSION, type BindMessage, type CrashMessage, type MainToWorker, type WorkerBoot, type WorkerControlMessage } from '../src/protocol.ts';
import type { CoreModule } from '../src/core/contract.ts';
import { gatewayError, toWire } from '../src/errors.ts';
import { importCore, openCore } from '../src/rpc/core-host.ts';
import { IpcPort, type RpcPort } from '../src/rpc/port.ts';
import { RpcServer } from '../src/rpc/server.ts';
import { linkedCore } from './linked-core.ts';
import { injectFault } from './faults.ts';

const MiB = 1024 * 1024;
/** Keep in step with src/supervisor/process-host.ts (BOOT_ENV, CRASH_EXIT). */
const BOOT_ENV = 'SDKGATE_SESSION_BOOT';
const CRASH_EXIT = 70;

/** Thrown by fail() in a process, which must wait for its report to be written before it exits. */
class Leaving extends Error {}

/** The thread's parentPort + the bound MessagePort, or the process's one IPC channel. */
interface Channel {
  readonly boot: WorkerBoot;
  post(m: WorkerControlMessage): void;
  onBind(handler: (m: BindMessage) => void): void;
  sessionPort(m: BindMessage): RpcPort;
  /** Leave after 'closed' (or a fatal error), once what was posted is on its way. */
  exit(code: number): void;
}

function threadChannel(): Channel {
  const control = parentPort!;
  return {
    boot: workerData as WorkerBoot,
    post: (m) => control.postMessage(m),
    onBind: (handler) => control.on('message', handler),
    sessionPort: (m) => m.port!,
    exit: (code) => process.exit(code),
  };
}

function processChannel(): Channel {
  const port = new IpcPort((m, done) => {
    process.send!(m, undefined, {}, done);
  });
  let bind: ((m: BindMessage) => void) | null = null;
  process.on('message', (m: BindMessage | MainToWorker) => {
    if (m.type === 'bind') bind?.(m);
    else port.deliver(m);
  });
  // The gateway is gone (it exited or was killed): nobody will ever call this core again.
  process.on('disconnect', () => process.exit(0));
  let crashed = false;
  process.on('uncaughtException', (e) => {
    if (crashed || e instanceof Leaving) return;
    crashed = true;
    port.close(); // a dying process answers nothing more, as a dead thread would not
    const report: CrashMessage = {
      type: 'crash',
      reason: e?.name === 'UnhandledRejection' ? 'unhandled_rejection' : 'exception',
      detail: e instanceof Error ? (e.name === 'UnhandledRejection' ? e.message : `${e.name}: ${e.message}`) : String(e),
    };
    process.send!(report, undefined, {}, () => process.exit(CRASH_EXIT));
    setTimeout(() => process.exit(CRASH_EXIT), 1000).unref();
  });
  return {
    boot: JSON.parse(process.env[BOOT_ENV] ?? '{}') as WorkerBoot,
    post: (m) => port.postMessage(m),
    onBind: (handler) => (bind = handler),
    sessionPort: () => port,
    exit: (code) => void port.drained().then(() => process.exit(code)),
  };
}

const channel = isMainThread ? processChannel() : threadChannel();
const boot = channel.boot;

// Node rethrows an unhandled rejection's reason as is, which the main side cannot tell apart
// from a thrown error. Rename it so the exit is classified 'unhandled_rejection'.
process.on('unhandledRejection', (reason) => {
  if (reason instanceof Leaving) return;
  const e = new Error(`Unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
  e.name = 'UnhandledRejection';
  if (reason instanceof Error && reason.stack) e.stack = `UnhandledRejection: ${reason.stack}`;
  throw e;
});

function fail(error: unknown): never {
  channel.post({ type: 'fatal', error: toWire(error) });
  channel.exit(1);
  // Only a process gets here: it exits once the report is written; nothing else may run.
  throw new Leaving('exiting after a fatal error');
}

/**
 * A thread's resourceLimits (or a process's --max-old-space-size) give heap_size_limit = old +
 * 1.5 × young. A --max-old-space-size or --max-semi-space-size in NODE_OPTIONS wins over a
 * thread's resourceLimits without a word (nodejs/node#43991), which would silently lift every
 * per-user limit: refuse to run instead. (For a process the command line wins over NODE_OPTIONS;
 * the check costs nothing and holds either way.) The band tolerates V8 changing the
 * young-generation factor, and still catches any override worth the name.
 */
function checkHeapLimit(): number {
  const limit = getHeapStatistics().heap_size_limit;
  const old = isMainThread ? boot.heapLimitMb : (resourceLimits.maxOldGenerationSizeMb ?? 0);
  const young = isMainThread ? Math.max(4, Math.min(32, Math.round(boot.heapLimitMb / 8))) : (resourceLimits.maxYoungGenerationSizeMb ?? 0);
  const limitMb = limit / MiB;
  if (old !== boot.heapLimitMb || limitMb < boot.heapLimitMb || limitMb > boot.heapLimitMb + 3 * young + 2) {
    fail(gatewayError('GW_HEAP_LIMIT_OVERRIDDEN', `asked ${boot.heapLimitMb} MB, V8 allows ${Math.round(limitMb)} MB`, {
      requestedMb: boot.heapLimitMb,
      heapSizeLimitMb: Math.round(limitMb),
      nodeOptions: process.env.NODE_OPTIONS ?? '',
    }));
  }
  return limit;
}

async function loadCore(): Promise<CoreModule> {
  try {
    const mod = linkedCore() ?? (await importCore(boot.coreModule));
    // Node writes the compile cache when a thread exits: without this, every worker spawned
    // before the first one ends compiles the sources (and loads the TypeScript stripper, ~5 MB)
    // again. Entries already on disk are not rewritten, so a warm start pays ~nothing here.
    flushCompileCache();
    return mod;
  } catch (e) {
    fail(gatewayError('GW_INTERNAL', 'cannot load the SDK core', { cause: (e as Error).message }));
  }
}

async function bind(m: BindMessage, core: CoreModule): Promise<void> {
  const server = new RpcServer(channel.sessionPort(m), {
    logLevel: boot.logLevel,
    ...(boot.faultInjection ? { onFault: injectFault } : {}),
    onClosed: () => channel.exit(0),
  });
  const { binding } = m;
  try {
    const sdk = await openCore(core, binding, server);
    server.serve(sdk, threadId);
  } catch (e) {
    fail(e instanceof Error && 'code' in e ? e : gatewayError('GW_INTERNAL', 'createCore failed', { cause: (e as Error)?.message }));
  }
}

/**
 * A worker loads its code from disk when it spawns, the gateway when it started: a package
 * upgraded in place under a running gateway pairs an old main side with new workers. Refuse
 * then, before anything crosses the port.
 */
function checkProtocol(): void {
  if (boot.protocolVersion === PROTOCOL_VERSION) return;
  fail(gatewayError('GW_INTERNAL', `the gateway speaks protocol ${String(boot.protocolVersion)}, this worker ${String(PROTOCOL_VERSION)}: restart the gateway`, {
    protocolVersion: PROTOCOL_VERSION,
    gatewayProtocolVersion: boot.protocolVersion,
  }));
}

checkProtocol();
const heapSizeLimit = checkHeapLimit();
const core = await loadCore();
let bound = false;
channel.onBind((m) => {
  if (m.type !== 'bind' || bound) return;
  bound = true;
  void bind(m, core);
});
channel.post({ type: 'loaded', heapSizeLimit });
