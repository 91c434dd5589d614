import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The `unit` project: pure tests that start no worker, process or server (test/unit-project.test.ts
 * checks their imports), so `npx vitest run --project unit` answers in seconds. Everything else
 * is the `integration` project. `npm test` / `make test` run both.
 */
export const UNIT_TESTS = [
  'test/core/backoff.test.ts',
  'test/core/conv-changes.test.ts',
  'test/core/creators.test.ts',
  'test/core/store-statements.test.ts',
  'test/core/store.test.ts',
  'test/deploy/nginx-config.test.ts',
  'test/docs-links.test.ts',
  'test/embedded-im.test.ts',
  'test/errors.test.ts',
  'test/gateway/docs.test.ts',
  'test/gateway/frames.test.ts',
  'test/gateway/functions.test.ts',
  'test/gateway/query.test.ts',
  'test/gateway/rate-limit.test.ts',
  'test/imserver/object-names.test.ts',
  'test/metrics.test.ts',
  'test/outcome.test.ts',
  'test/rpc/deadline-timer.test.ts',
  'test/rpc/rpc.test.ts',
  'test/structure.test.ts',
  'test/supervisor/backoff.test.ts',
  'test/supervisor/call-queue.test.ts',
  'test/supervisor/parked-tabs.test.ts',
  'test/supervisor/registry.test.ts',
  'test/supervisor/start-cooldown.test.ts',
  'test/unit-project.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The machine has 2 cores and is shared; more parallel files only add noise to timeouts.
    maxWorkers: 2,
    // expect.poll / vi.waitFor bound hangs, they are not timing assertions; a short interval keeps
    // transient states (a backoff, a restart) observable, as the hand-written loops they replace did.
    expect: { poll: { interval: 10, timeout: 5_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT_TESTS,
          // Nothing here can crash its host or leaks state (fake timers are restored after each
          // test): threads sharing one module graph start ~2x faster than a fork per file.
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The cluster test (nginx, several nodes) runs alone: `make test-cluster`, vitest.cluster.config.ts.
          exclude: [...configDefaults.exclude, 'test/cluster/**', ...UNIT_TESTS],
          // Worker-thread crash tests (oom, loop) must not share a process with other suites:
          // an abort in one would take the others down. Forks give each file its own process.
          pool: 'forks',
        },
      },
    ],
  },
});
