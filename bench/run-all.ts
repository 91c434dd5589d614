// `make bench` / `npm run bench`: every bench script in turn, each in its own Node process (so
// one's workers, sockets and heap do not skew the next), with the same env knobs. Exits non-zero
// if any script fails. Figures go to stdout; docs/performance.md records a run.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPTS = ['rpc.ts', 'login.ts', 'login-storm.ts', 'memory.ts', 'capacity.ts', 'crash.ts', 'fanout.ts', 'isolation.ts', 'auth-cache.ts'];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
let failed = 0;
for (const s of SCRIPTS) {
  if (only && !only.some((o) => s.startsWith(o))) continue;
  const file = fileURLToPath(new URL(`./${s}`, import.meta.url));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed++;
    console.error(`\nbench/${s} failed (status ${r.status}, signal ${r.signal}) after ${secs} s`);
  } else {
    console.log(`\nbench/${s} took ${secs} s`);
  }
}
process.exit(failed ? 1 : 0);
