import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/core/net/backoff.ts';

describe('reconnect back-off', () => {
  it('doubles per attempt up to the cap, with jitter in [50%, 100%]', () => {
    const o = { minMs: 500, maxMs: 30_000 };
    expect(backoffDelay(0, o, () => 1)).toBe(500);
    expect(backoffDelay(0, o, () => 0)).toBe(250);
    expect(backoffDelay(3, o, () => 1)).toBe(4000);
    expect(backoffDelay(20, o, () => 1)).toBe(30_000);
    expect(backoffDelay(1000, o, () => 0)).toBe(15_000);
    const samples = new Set(Array.from({ length: 50 }, () => backoffDelay(4, o)));
    expect(samples.size).toBeGreaterThan(1);
    for (const d of samples) {
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });
});
