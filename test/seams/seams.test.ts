// The seam suite, short run (part of `make test`): one seed per seam by default. `make soak`
// runs hundreds (bench/seams-soak.ts). A failure prints its seed: SEAMS_SEED=<n> reruns it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, runSeed, seedsFromEnv, startSeamBench, type SeamBench } from './run.ts';

let bench: SeamBench;
beforeAll(async () => {
  bench = await startSeamBench();
}, 60_000);
afterAll(async () => {
  await bench?.close();
});

describe('every callback exactly once, at every seam', () => {
  for (const seed of seedsFromEnv(process.env, 5)) {
    it(`seed ${seed}`, async () => {
      const r = await runSeed(bench, seed);
      if (r.problems.length) console.error(report(r));
      expect(r.problems, report(r)).toEqual([]);
    }, 120_000);
  }
});
