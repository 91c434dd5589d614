// The seam suite's long run: hundreds of seeds (test/seams/), each one seam (first sync,
// reattach, crash, long-connection drop, IM server restart) with every event kind fired at seeded
// offsets around it. Prints one line per seed, the report of every failing seed (with the
// SEAMS_SEED that reruns it), and a summary. Exits 1 if any seed failed.
//
// Knobs: SEAMS_SEEDS (200) seeds from SEAMS_FIRST (1); SEAMS_BUDGET_MS (2,700,000 = 45 min):
// no new seed starts after it (the summary says how many ran).
//
//   make soak        (or: npx node bench/seams-soak.ts)

import { EVENTS } from '../test/seams/events.ts';
import { report, runSeed, seedsFromEnv, startSeamBench } from '../test/seams/run.ts';
import { SEAMS } from '../test/seams/seams.ts';

const seeds = seedsFromEnv(process.env, 200);
const budgetMs = Number(process.env.SEAMS_BUDGET_MS ?? 45 * 60_000);
const t0 = Date.now();
const bench = await startSeamBench();
const failed: number[] = [];
const perSeam = new Map<string, { ran: number; failed: number }>(SEAMS.map((s) => [s.name, { ran: 0, failed: 0 }]));
let ran = 0;
let fired = 0;
try {
  for (const seed of seeds) {
    if (Date.now() - t0 > budgetMs) break;
    const r = await runSeed(bench, seed);
    ran++;
    fired += r.fired;
    const s = perSeam.get(r.seam)!;
    s.ran++;
    if (r.problems.length) {
      s.failed++;
      failed.push(seed);
    }
    console.log(report(r));
  }
} finally {
  await bench.close();
}
const lines = [
  '',
  `seam soak: ${ran} of ${seeds.length} seeds in ${Math.round((Date.now() - t0) / 1000)} s, ${fired} events fired (${EVENTS.length} kinds per seed: ${EVENTS.map((e) => e.name).join(', ')})`,
  ...[...perSeam].map(([name, s]) => `  ${name}: ${s.ran} seeds, ${s.failed} failed`),
  failed.length ? `FAILED seeds: ${failed.join(' ')} (rerun one: SEAMS_SEED=<n> npx vitest run test/seams)` : 'no lost and no duplicated callbacks',
];
console.log(lines.join('\n'));
process.exit(failed.length ? 1 : 0);
