// The two steps every host of an SDK core takes, whether it is a session worker or the
// in-process host of `--isolation none`: import the core module, then open one user's core on
// its data dir with the RPC server as its callback and log sink.

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreModule, SdkCore } from '../core/contract.ts';
import type { SessionBinding } from '../protocol.ts';
import type { RpcServer } from './server.ts';

/**
 * node:fs as its CommonJS object. Importing it as an ES module builds its namespace, which reads
 * every export, and the lazy `promises` getter alone loads fs/promises, readline and the REPL
 * history module into every session worker (~0.7 MB each, docs/performance.md).
 */
const fs = process.getBuiltinModule('node:fs');

/** Import a core module by path or specifier; it must export createCore. */
export async function importCore(spec: string): Promise<CoreModule> {
  const url = isAbsolute(spec) ? pathToFileURL(spec).href : spec;
  const mod = (await import(url)) as Partial<CoreModule>;
  if (typeof mod.createCore !== 'function') throw new Error('module does not export createCore');
  return mod as CoreModule;
}

/** Create the session's data dir (owner-only) and the user's core on it. */
export async function openCore(mod: CoreModule, binding: SessionBinding, server: RpcServer): Promise<SdkCore> {
  fs.mkdirSync(binding.dataDir, { recursive: true, mode: 0o700 });
  return mod.createCore({
    userID: binding.userID,
    platformID: binding.platformID,
    dataDir: binding.dataDir,
    apiAddress: binding.apiAddress,
    wsAddress: binding.wsAddress,
    resumed: binding.resumed === true,
    emit: server.emit,
    log: server.log,
    onRest: server.rest,
  });
}
