// A smoke run of the bench scripts with tiny knobs: they start their own servers, print their
// tables and stop themselves. Benchmarks are not part of `make test`; this only proves the
// scripts still run. Timed values are never asserted.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function runBench(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const file = fileURLToPath(new URL(`../../bench/${script}`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const TABLE = /p50 ms[\s\S]*p99 ms[\s\S]*ops\/s[\s\S]*ratio/;

describe('bench scripts (tiny knobs)', () => {
  it('bench/rpc.ts prints thread, none, the raw floor and the ws echo ceiling, cold and warm', { timeout: 120_000 }, async () => {
    const r = await runBench('rpc.ts', { BENCH_RPC_SECONDS: '0', BENCH_RPC_USERS: '1,2', BENCH_RPC_WARM_SECONDS: '1' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(TABLE);
    expect(r.out).toMatch(/isolation none/);
    expect(r.out).toMatch(/isolation thread/);
    expect(r.out).toMatch(/raw floor/);
    expect(r.out).toMatch(/bare ws echo/);
    expect(r.out).toMatch(/warm/);
    expect(r.out).toMatch(/thread ÷ floor/);
  });

  it('bench/login-storm.ts admits every login and prints the neighbours beside their baseline', { timeout: 120_000 }, async () => {
    const r = await runBench('login-storm.ts', { BENCH_STORM_USERS: '4', BENCH_STORM_CONCURRENCY: '2', BENCH_STORM_NEIGHBOURS: '1', BENCH_STORM_NEIGHBOUR_RATE: '5' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/'4\/4'/);
    expect(r.out).toMatch(/neighbours, during the storm/);
  });

  it('bench/capacity.ts ramps, names its limit and holds', { timeout: 120_000 }, async () => {
    const r = await runBench('capacity.ts', {
      BENCH_CAP_TARGET: '4', BENCH_CAP_STEP: '2', BENCH_CAP_POSTLOGIN_SECONDS: '1', BENCH_CAP_CPU_SECONDS: '1', BENCH_CAP_SOAK_SECONDS: '2', BENCH_CAP_SAMPLE_SECONDS: '1',
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/limit: none: reached the target \(4\)/);
    expect(r.out).toMatch(/RSS slope/);
    expect(r.out).toMatch(/4\/4 sessions ready/);
  });

  it('bench/auth-cache.ts prints the cached and the forced-verify reconnects', { timeout: 120_000 }, async () => {
    const r = await runBench('auth-cache.ts', { BENCH_AUTH_N: '3', BENCH_AUTH_WARMUP: '1' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/verdict cached/);
    expect(r.out).toMatch(/auth-cache-ttl-ms 0/);
    expect(r.out).toMatch(/parse_token\/op/);
  });

  it('bench/isolation.ts prints the figures of each isolation side by side', { timeout: 120_000 }, async () => {
    const r = await runBench('isolation.ts', { BENCH_ISO_MODES: 'thread,process', BENCH_ISO_SESSIONS: '1', BENCH_ISO_SECONDS: '0', BENCH_ISO_CRASH_N: '1', BENCH_ISO_GAP_MS: '0' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/figure[\s\S]*thread[\s\S]*process/);
    expect(r.out).toMatch(/cold start p50/);
    expect(r.out).toMatch(/neighbour p99 ratio/);
  });

  it('bench/fanout.ts prints one row per tab count', { timeout: 120_000 }, async () => {
    const r = await runBench('fanout.ts', { BENCH_FANOUT_TABS: '1,3', BENCH_FANOUT_N: '3' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(TABLE);
    expect(r.out).toMatch(/3 tabs/);
  });
});
