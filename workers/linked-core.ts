// The SDK core linked into the session worker's bundle, or null. From the sources (and the
// package's plain dist/workers/session-worker.js) it stays null and the worker imports the core
// its boot names (boot.coreModule). The bundle's entry (bundle-entry.ts) links the default core
// here before the worker runs, so a worker loads one file instead of ~75 modules; the supervisor
// runs the bundle only for sessions whose core is that default (src/supervisor/worker-bundle.ts).

import type { CoreModule } from '../src/core/contract.ts';

let linked: CoreModule | null = null;

export function linkCore(core: CoreModule): void {
  linked = core;
}

export function linkedCore(): CoreModule | null {
  return linked;
}
