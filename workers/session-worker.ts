// Session worker entry: hosts ONE user's SDK core. Thin on purpose; it imports only the protocol
// types, the error catalog, the worker half of the RPC, the core contract and its fault module,
// never the gateway or the supervisor.
//
//   main thread (gateway + supervisor)                 this worker (one per userID+platformID)
//   ──────────────────────────────────                 ───────────────────────────────────────
//   new Worker(workerData: WorkerBoot,
//              resourceLimits: {old, young}) ────────▶ 1. check v8 heap_size_limit == asked
//                                                         (NODE_OPTIONS=--max-old-space-size
//                                                          silently overrides resourceLimits)
//                                                      2. import(boot.coreModule)
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

import { flushCompileCache } from 'node:module';
import { parentPort, resourceLimits, threadId, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import type { BindMessage, WorkerBoot, WorkerControlMessage } from '../src/protocol.ts';
import type { CoreModule } from '../src/core/contract.ts';
import { gatewayError, toWire } from '../src/errors.ts';
import { importCore, openCore } from '../src/rpc/core-host.ts';
import { RpcServer } from '../src/rpc/server.ts';
import { injectFault } from './faults.ts';

const MiB = 1024 * 1024;
const boot = workerData as WorkerBoot;
const control = parentPort!;

// Node rethrows an unhandled rejection's reason as is, which the main thread cannot tell apart
// from a thrown error. Rename it so the exit is classified 'unhandled_rejection'.
process.on('unhandledRejection', (reason) => {
  const e = new Error(`Unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
  e.name = 'UnhandledRejection';
  if (reason instanceof Error && reason.stack) e.stack = `UnhandledRejection: ${reason.stack}`;
  throw e;
});

function fail(error: unknown): never {
  control.postMessage({ type: 'fatal', error: toWire(error) } satisfies WorkerControlMessage);
  process.exit(1);
}

/**
 * resourceLimits gives heap_size_limit = old + 1.5 × young. A --max-old-space-size or
 * --max-semi-space-size in NODE_OPTIONS wins over it without a word (nodejs/node#43991), which
 * would silently lift every per-user limit: refuse to run instead. The band tolerates V8 changing
 * the young-generation factor, and still catches any override worth the name.
 */
function checkHeapLimit(): number {
  const limit = getHeapStatistics().heap_size_limit;
  const old = resourceLimits.maxOldGenerationSizeMb ?? 0;
  const young = resourceLimits.maxYoungGenerationSizeMb ?? 0;
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
    const mod = await importCore(boot.coreModule);
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
  const server = new RpcServer(m.port, {
    logLevel: boot.logLevel,
    ...(boot.faultInjection ? { onFault: injectFault } : {}),
    onClosed: () => process.exit(0),
  });
  const { binding } = m;
  try {
    const sdk = await openCore(core, binding, server);
    server.serve(sdk, threadId);
  } catch (e) {
    fail(e instanceof Error && 'code' in e ? e : gatewayError('GW_INTERNAL', 'createCore failed', { cause: (e as Error)?.message }));
  }
}

const heapSizeLimit = checkHeapLimit();
const core = await loadCore();
let bound = false;
control.on('message', (m: BindMessage) => {
  if (m.type !== 'bind' || bound) return;
  bound = true;
  void bind(m, core);
});
control.postMessage({ type: 'loaded', heapSizeLimit } satisfies WorkerControlMessage);
