import { describe, expect, it } from 'vitest';
import { PerKeyCounter } from '../../src/gateway/per-key.ts';

describe('PerKeyCounter', () => {
  it('counts each key up to its limit and refuses past it, counting nothing then', () => {
    const c = new PerKeyCounter();
    expect(c.take('a', 2)).toBe(true);
    expect(c.take('a', 2)).toBe(true);
    expect(c.take('a', 2)).toBe(false);
    expect(c.count('a')).toBe(2);
    expect(c.take('b', 2)).toBe(true);
    expect(c.count('b')).toBe(1);
  });

  it('frees a place per release and never goes below zero', () => {
    const c = new PerKeyCounter();
    c.take('a', 1);
    c.release('a');
    expect(c.count('a')).toBe(0);
    c.release('a');
    expect(c.count('a')).toBe(0);
    expect(c.take('a', 1)).toBe(true);
  });
});
