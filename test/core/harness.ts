// Runs SdkCores in-process for tests: records every emitted callback and calls functions with
// a CallContext, the way the session worker does.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreLogger, SdkCore } from '../../src/core/contract.ts';
import { createCoreWith } from '../../src/core/index.ts';
import type { NetTuning } from '../../src/core/functions/auth.ts';
import { sessionDataDir } from '../../src/ids.ts';

export interface Emitted {
  event: string;
  data: unknown;
  errCode: number | undefined;
  errMsg: string | undefined;
  /** Set on the echo of this core's own send (the session leaves the sending tab out). */
  origin?: string;
}

const quiet: CoreLogger = { debug() {}, info() {}, warn() {}, error() {} };
let ops = 0;

export class TestCore {
  readonly userID: string;
  readonly platformID: number;
  readonly dataDir: string;
  readonly events: Emitted[] = [];
  core: SdkCore;
  #waiters: (() => void)[] = [];

  /** `init.resumed`: the session continues a client that redialled (CoreInit.resumed). */
  constructor(userID: string, dbDir: string, addr: { apiAddress: string; wsAddress: string }, platformID = 5, tuning: NetTuning = {}, init: { resumed?: boolean } = {}) {
    this.userID = userID;
    this.platformID = platformID;
    this.dataDir = sessionDataDir(dbDir, userID, platformID);
    this.core = createCoreWith(
      {
        userID,
        platformID,
        dataDir: this.dataDir,
        apiAddress: addr.apiAddress,
        wsAddress: addr.wsAddress,
        ...(init.resumed !== undefined ? { resumed: init.resumed } : {}),
        emit: (event, data, errCode, errMsg, origin) => {
          // The worker JSON-encodes callback data; do the same so shapes are what the wire sees.
          this.events.push({ event, data: data === undefined ? undefined : JSON.parse(JSON.stringify(data)), errCode, errMsg, ...(origin === undefined ? {} : { origin }) });
          for (const w of this.#waiters.splice(0)) w();
        },
        log: quiet,
      },
      { heartbeatMs: 1000, backoffMinMs: 50, backoffMaxMs: 500, ...tuning },
    );
  }

  async call<T = any>(fn: string, ...args: unknown[]): Promise<T> {
    const f = this.core.functions[fn];
    if (!f) throw new Error(`no function ${fn}`);
    const r = await f({ operationID: `t-${this.userID}-${++ops}`, signal: new AbortController().signal }, ...args);
    return (r === undefined ? r : JSON.parse(JSON.stringify(r))) as T;
  }

  /** Core Login with `token`; resolves with Login's answer once the sync it starts has finished. */
  async login<T = unknown>(token: string, timeoutMs = 8000): Promise<T> {
    const from = this.events.length;
    const answer = await this.call<T>('Login', this.userID, token);
    await this.waitFor('OnSyncServerFinish', undefined, timeoutMs, from);
    return answer;
  }

  /** Waits for an event (emitted after `from`, an index into `events`) that satisfies `pred`. */
  async waitFor(event: string, pred: (data: any) => boolean = () => true, timeoutMs = 8000, from = 0): Promise<Emitted> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find((e) => e.event === event && pred(e.data));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.userID}: no ${event} within ${timeoutMs} ms; saw ${this.events.map((e) => e.event).join(',')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  count(event: string): number {
    return this.events.filter((e) => e.event === event).length;
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

