// `--isolation none`: a session's core runs in the gateway's own thread. Benchmarks and debugging
// only, and UNSAFE: a core that throws, loops, leaks or exits takes every user down with it, and
// there is no heap limit, no watchdog and no fault injection (options.ts refuses
// `--isolation none` with `--fault-injection`).
//
// It is a SessionHost like WorkerHost (loaded, bind, exited, terminate) over the same RPC:
// an in-thread MessageChannel with the RpcClient on one end and the RpcServer on the other, so a
// call still crosses a MessagePort (structured clone, one macrotask hop) exactly as in `thread`
// mode. What it removes is the thread: the spawn, the isolate, the core's module load per session.

import { getHeapStatistics } from 'node:v8';
import { MessageChannel, threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CoreModule, SdkCore } from '../core/contract.ts';
import type { ExitReason } from '../errors.ts';
import { fromWire, gatewayError, toWire } from '../errors.ts';
import type { SessionBinding, WorkerBoot } from '../protocol.ts';
import { RpcClient, type RpcClientOptions } from '../rpc/client.ts';
import { importCore, openCore } from '../rpc/core-host.ts';
import { RpcServer } from '../rpc/server.ts';
import { HostBase, type ExitInfo, type Intent, type SessionHost } from './host.ts';

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

export class InProcessHost extends HostBase implements SessionHost {
  readonly isolation = 'none';
  /** The main thread's id: what a test checks to tell the modes apart. */
  readonly threadId = threadId;
  readonly pid = process.pid;

  readonly #o: InProcessHostOptions;
  #sdk: SdkCore | null = null;
  #client: RpcClient | null = null;

  constructor(options: InProcessHostOptions) {
    super();
    this.#o = options;
    loadCore(options.boot.coreModule).then(
      () => this.markLoaded({ type: 'loaded', heapSizeLimit: getHeapStatistics().heap_size_limit }),
      (e: unknown) => {
        const err = gatewayError('GW_INTERNAL', 'cannot load the SDK core', { cause: (e as Error).message });
        this.#exit(1, { reason: 'init_failed', detail: err.message }, toWire(err));
      },
    );
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
      if (!this.alive) {
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

  // Nothing to keep alive or let go: the core is part of the gateway's own event loop.
  ref(): void {}
  unref(): void {}

  /** No thread to watch: a stuck in-process core is a stuck gateway. */
  busySampler(): null {
    return null;
  }

  heapUsedNow(): Promise<null> {
    return Promise.resolve(null);
  }

  /**
   * "Kill" an in-process core: it cannot be stopped, only abandoned. Ask it to close (best
   * effort, not awaited), cut its port, and report the exit. A truly stuck core keeps the
   * whole gateway stuck: that is what `thread` isolation is for.
   */
  protected kill(): void {
    const sdk = this.#sdk;
    this.#sdk = null;
    void sdk?.close('admin').catch(() => {});
    this.#exit(1, null, null);
  }

  #exit(code: number, why: Intent | null, fatal: ExitInfo['error']): void {
    if (!this.alive) return;
    const intent = why ?? this.intent;
    const reason: ExitReason = intent?.reason ?? (this.running ? 'exit' : 'init_failed');
    const info: ExitInfo = { reason, code, detail: intent?.detail ?? `in-process core ended (code ${code})`, error: fatal };
    if (fatal && !this.running) this.#client?.failAll(fromWire(fatal));
    this.#sdk = null;
    this.ended(info);
  }
}
