import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from '../../src/rpc/deadline-timer.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineTimer', () => {
  it('keeps one timer for many deadlines and fires each due one on time', () => {
    const deadlines = new Set<number>();
    const fired: number[] = [];
    const t = new DeadlineTimer((now) => {
      let next = Infinity;
      for (const d of deadlines) {
        if (d <= now) {
          fired.push(d);
          deadlines.delete(d);
        } else next = Math.min(next, d);
      }
      return next;
    });
    const base = Date.now();
    for (let i = 0; i < 100; i++) {
      deadlines.add(base + 1000 + i * 10);
      t.schedule(base + 1000 + i * 10);
    }
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([base + 1000]);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([base + 1000, base + 1010, base + 1020]);
    expect(vi.getTimerCount()).toBe(1);
    // An earlier deadline re-arms it.
    deadlines.add(base + 1025);
    t.schedule(base + 1025);
    vi.advanceTimersByTime(5);
    expect(fired.at(-1)).toBe(base + 1025);
    vi.advanceTimersByTime(2000);
    expect(fired).toHaveLength(101);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not re-arm when nothing is pending, and stop() disarms it', () => {
    const onDue = vi.fn(() => Infinity);
    const t = new DeadlineTimer(onDue);
    t.schedule(Date.now() + 100);
    t.stop();
    vi.advanceTimersByTime(200);
    expect(onDue).not.toHaveBeenCalled();
    t.schedule(Date.now() + 100);
    vi.advanceTimersByTime(100);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
