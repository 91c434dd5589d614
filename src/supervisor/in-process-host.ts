// `--isolation none`: a session's core runs in the gateway's own thread. Benchmarks and debugging
// only, and UNSAFE: a core that throws, loops, leaks or exits takes every user down with it, and
// there is no heap limit, no watchdog and no fault injection (options.ts refuses
// `--isolation none` with `--fault-injection`).
//
// It speaks the same contract as WorkerHost (loaded, bind, exited, terminate) over the same RPC:
// an in-thread MessageChannel with the RpcClient on one end and the RpcServer on the other, so a
// call still crosses a MessagePort (structured clone, one macrotask hop) exactly as in `thread`
// mode. What it removes is the thread: the spawn, the isolate, the core's module load per session.

import { getHeapStatistics } from 'node:v8';
import { MessageChannel, threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CoreModule, SdkCore } from '../core/contract.ts';
import type { ExitReason } from '../errors.ts';
import { fromWire, gatewayError, toWire } from '../errors.ts';
import type { LoadedMessage, SessionBinding, WorkerBoot } from '../protocol.ts';
import { RpcClient, type RpcClientOptions } from '../rpc/client.ts';
import { importCore, openCore } from '../rpc/core-host.ts';
import { RpcServer } from '../rpc/server.ts';
import type { ExitInfo } from './worker-host.ts';

export interface InProcessHostOptions {
  readonly boot: WorkerBoot;
  readonly log: Logger;
}

/** Core modules are loaded once per process (the ESM cache does this anyway; this skips the await). */
const modules = new Map<string, Promise<CoreModule>>();

function loadCore(spec: string): Promise<CoreModule> {
  let p = modules.get(spec);
  if (!p) {
    p = importCore(spec);
    modules.set(spec, p);
    p.catch(() => modules.delete(spec));
  }
  return p;
}

export class InProcessHost {
  /** There is no Worker: no ELU watchdog, no heap snapshot, no terminate(). */
  readonly worker = null;
  /** The main thread's id: what a test checks to tell the modes apart. */
  readonly threadId = threadId;
  readonly exited: Promise<ExitInfo>;
  readonly loaded: Promise<LoadedMessage>;
  readonly spawnedAt = Date.now();

  readonly #o: InProcessHostOptions;
  #alive = true;
  #running = false;
  #intent: { reason: ExitReason; detail: string } | null = null;
  #resolveExit!: (info: ExitInfo) => void;
  #sdk: SdkCore | null = null;
  #client: RpcClient | null = null;

  constructor(options: InProcessHostOptions) {
    this.#o = options;
    this.exited = new Promise((res) => (this.#resolveExit = res));
    this.loaded = loadCore(options.boot.coreModule).then(
      () => ({ type: 'loaded', heapSizeLimit: getHeapStatistics().heap_size_limit }) satisfies LoadedMessage,
      (e: unknown) => {
        const err = gatewayError('GW_INTERNAL', 'cannot load the SDK core', { cause: (e as Error).message });
        this.#exit(1, { reason: 'init_failed', detail: err.message }, toWire(err));
        throw err;
      },
    );
    this.loaded.catch(() => {});
  }

  get alive(): boolean {
    return this.#alive;
  }

  bind(binding: SessionBinding, options: RpcClientOptions): RpcClient {
    const { port1, port2 } = new MessageChannel();
    const client = new RpcClient(port1, options);
    const server = new RpcServer(port2, {
      logLevel: this.#o.boot.logLevel,
      // What process.exit(0) is to a worker: the session ends once 'closed' is on its way.
      onClosed: () => setImmediate(() => this.#exit(0, null, null)),
    });
    this.#client = client;
    void this.#create(binding, server);
    return client;
  }

  async #create(binding: SessionBinding, server: RpcServer): Promise<void> {
    try {
      const core = await loadCore(this.#o.boot.coreModule);
      const sdk = await openCore(core, binding, server);
      if (!this.#alive) {
        await sdk.close('admin').catch(() => {});
        return;
      }
      this.#sdk = sdk;
      server.serve(sdk, threadId);
    } catch (e) {
      const err = e instanceof Error && 'code' in e ? e : gatewayError('GW_INTERNAL', 'createCore failed', { cause: (e as Error)?.message });
      const wire = toWire(err);
      this.#exit(1, { reason: 'init_failed', detail: `${wire.name}: ${wire.message}` }, wire);
    }
  }

  markRunning(): void {
    this.#running = true;
  }

  expect(reason: ExitReason, detail: string): void {
    this.#intent ??= { reason, detail };
  }

  /**
   * "Kill" an in-process core: it cannot be stopped, only abandoned. Ask it to close (best
   * effort, not awaited), cut its port, and report the exit. A truly stuck core keeps the
   * whole gateway stuck: that is what `thread` isolation is for.
   */
  async terminate(reason: ExitReason, detail: string): Promise<ExitInfo> {
    if (this.#intent?.reason === reason) this.#intent = { reason, detail };
    else this.expect(reason, detail);
    if (this.#alive) {
      const sdk = this.#sdk;
      this.#sdk = null;
      void sdk?.close('admin').catch(() => {});
      this.#exit(1, null, null);
    }
    return this.exited;
  }

  #exit(code: number, why: { reason: ExitReason; detail: string } | null, fatal: ExitInfo['error']): void {
    if (!this.#alive) return;
    this.#alive = false;
    const intent = why ?? this.#intent;
    const reason: ExitReason = intent?.reason ?? (this.#running ? 'exit' : 'init_failed');
    const info: ExitInfo = { reason, code, detail: intent?.detail ?? `in-process core ended (code ${code})`, error: fatal };
    if (fatal && !this.#running) this.#client?.failAll(fromWire(fatal));
    this.#sdk = null;
    this.#resolveExit(info);
  }
}
