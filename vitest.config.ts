import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster test (nginx, several nodes) runs alone: `make test-cluster`, vitest.cluster.config.ts.
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    // Worker-thread crash tests (oom, loop) must not share a process with other suites:
    // an abort in one would take the others down. Forks give each file its own process.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The machine has 2 cores and is shared; more parallel files only add noise to timeouts.
    maxWorkers: 2,
  },
});
