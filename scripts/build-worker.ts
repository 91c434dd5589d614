// Part of `npm run build`: the session worker's bundle (src/supervisor/worker-bundle.ts) into
// dist/workers/, where the built supervisor finds it; esbuild is a dev dependency that an
// installed package does not have.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildWorkerBundle } from '../src/supervisor/worker-bundle.ts';

const file = fileURLToPath(new URL('../dist/workers/session-worker.bundle.mjs', import.meta.url));
writeFileSync(file, await buildWorkerBundle());
process.stdout.write(`built ${file}\n`);
