// The entry of the session worker's bundle (src/supervisor/worker-bundle.ts): the default SDK
// core, linked in statically, then the worker itself. Imported dynamically so that the link is
// made before the worker's top level runs (static imports would all evaluate first). It runs
// unbundled too, the same way.

import * as core from '../src/core/index.ts';
import { linkCore } from './linked-core.ts';

linkCore(core);
await import('./session-worker.ts');
