import { describe, expect, it } from 'vitest';
import { RestartPolicy } from '../../src/supervisor/backoff.ts';

describe('RestartPolicy', () => {
  const policy = (random: () => number, intensity = 10) =>
    new RestartPolicy({ baseMs: 100, maxMs: 1000, intensity, periodMs: 60_000, random });

  it('doubles the delay per restart in the window and caps it at the maximum', () => {
    const p = policy(() => 1 - Number.EPSILON); // top of the jitter range
    const delays = Array.from({ length: 6 }, (_, i) => {
      const d = p.next(i);
      return d.quarantine ? -1 : d.delayMs;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters each delay within [half, full] of the exponential step', () => {
    expect(policy(() => 0).next(0)).toEqual({ quarantine: false, delayMs: 50 });
    expect(policy(() => 0.5).next(0)).toEqual({ quarantine: false, delayMs: 75 });
  });

  it('quarantines once more than `intensity` restarts fall within the period', () => {
    const p = policy(() => 0, 3);
    expect([p.next(0), p.next(10), p.next(20)].every((d) => !d.quarantine)).toBe(true);
    expect(p.next(30)).toEqual({ quarantine: true });
  });

  it('forgets restarts older than the period, so sustained rare crashes never quarantine', () => {
    const p = policy(() => 0, 2);
    expect(p.next(0).quarantine).toBe(false);
    expect(p.next(30_000).quarantine).toBe(false);
    expect(p.next(60_001).quarantine).toBe(false); // the one at 0 left the window
    expect(p.recent(60_001)).toBe(2);
    expect(p.next(60_002).quarantine).toBe(true);
  });

  it('quarantines on the first crash when the intensity is 0, and reset() clears the history', () => {
    const p = policy(() => 0, 0);
    expect(p.next(0)).toEqual({ quarantine: true });
    const q = policy(() => 0, 1);
    q.next(0);
    expect(q.next(1).quarantine).toBe(true);
    q.reset();
    expect(q.next(2)).toEqual({ quarantine: false, delayMs: 50 });
  });
});
