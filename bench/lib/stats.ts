// Shared by every bench script: percentiles, env knobs, and one table format whose last column
// is the ratio against a baseline row measured in the same run (absolute numbers on a shared,
// noisy 2-core VM mean little; ratios taken side by side do).

import { availableParallelism, totalmem } from 'node:os';

export function envInt(name: string, def: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return Math.floor(n);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Sample {
  readonly name: string;
  /** Latencies in ms. */
  readonly latencies: number[];
  /** Operations completed in `seconds` (for throughput). */
  readonly ops: number;
  readonly seconds: number;
}

export interface Row {
  readonly case: string;
  readonly n: number;
  readonly 'p50 ms': string;
  readonly 'p99 ms': string;
  readonly 'ops/s': string;
  readonly ratio: string;
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/**
 * One row per sample. `ratioOf` picks what the ratio compares (throughput by default:
 * sample ÷ baseline; for latency-style cases pass 'p50' and the ratio is sample ÷ baseline too).
 */
export function table(samples: readonly Sample[], baseline: string, ratioOf: 'ops' | 'p50' | 'p99' = 'ops'): Row[] {
  const summary = samples.map((s) => {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    return { s, p50: percentile(sorted, 50), p99: percentile(sorted, 99), ops: s.ops / s.seconds };
  });
  const base = summary.find((x) => x.s.name === baseline);
  return summary.map((x) => ({
    case: x.s.name,
    n: x.s.latencies.length,
    'p50 ms': f(x.p50),
    'p99 ms': f(x.p99),
    'ops/s': f(x.ops, 0),
    ratio: base ? f(x[ratioOf] / base[ratioOf], 2) : '-',
  }));
}

export function printTable(title: string, rows: readonly object[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export function header(script: string): void {
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  console.log(`${script} — ${new Date().toISOString()} — node ${process.version} — ${process.platform}/${process.arch}, ${availableParallelism()} cpus, ${gib} GiB`);
}

/** A comma-separated list of non-negative integers from the environment, e.g. BENCH_RPC_USERS=1,10,100. */
export function envList(name: string, def: readonly number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...def];
  return raw.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a list of non-negative numbers, got ${raw}`);
    return Math.floor(n);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
