// The wait after a failed session start, on the fake clock: it doubles per failure up to the cap,
// counts down with the clock, starts over after a quiet spell, clears on success, and stays bounded.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartCooldown } from '../../src/supervisor/start-cooldown.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('StartCooldown', () => {
  it('lets a key start at once until it fails, then doubles the wait per failure up to the cap', () => {
    const c = new StartCooldown(100, 1_000);
    expect(c.remaining('u')).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      c.failed('u');
      waits.push(c.remaining('u'));
      vi.advanceTimersByTime(c.remaining('u')); // the next start fails again as soon as it may run
    }
    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('counts the wait down with the clock', () => {
    const c = new StartCooldown(100, 1_000);
    c.failed('u');
    vi.advanceTimersByTime(30);
    expect(c.remaining('u')).toBe(70);
    vi.advanceTimersByTime(70);
    expect(c.remaining('u')).toBe(0);
  });

  it('starts the count again for a failure long after the last wait ended', () => {
    const c = new StartCooldown(100, 1_000);
    c.failed('u');
    c.failed('u');
    expect(c.remaining('u')).toBe(200);
    vi.advanceTimersByTime(200 + 1_000);
    c.failed('u');
    expect(c.remaining('u')).toBe(100);
  });

  it('forgets a key on success, and only that key', () => {
    const c = new StartCooldown(100, 1_000);
    c.failed('u');
    c.failed('v');
    c.succeeded('u');
    expect(c.remaining('u')).toBe(0);
    expect(c.remaining('v')).toBe(100);
  });

  it('keeps at most maxKeys entries, dropping the oldest failure first', () => {
    const c = new StartCooldown(100, 1_000, 2);
    c.failed('a');
    c.failed('b');
    c.failed('a'); // refreshed: now the newest
    c.failed('c');
    expect(c.remaining('b')).toBe(0);
    expect(c.remaining('a')).toBe(200);
    expect(c.remaining('c')).toBe(100);
  });
});
