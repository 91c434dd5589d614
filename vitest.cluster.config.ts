import { defineConfig } from 'vitest/config';

// `make test-cluster`: nginx and several sdkgate nodes on loopback (test/cluster/). Not part of
// `make test`: it needs the nginx package and takes a few minutes.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    // One file at a time: the cluster owns the machine's two cores while it runs.
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
