import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, TokenBucket } from '../../src/gateway/rate-limit.ts';
import { ConnectionCaps } from '../../src/gateway/caps.ts';
import { TtlCache } from '../../src/gateway/ttl-cache.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let t = 0;
    const b = new TokenBucket(2, 3, () => t);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    t = 499;
    expect(b.take()).toBe(false);
    t = 500;
    expect(b.take()).toBe(true);
    t = 100_000;
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
  });
});

describe('KeyedRateLimiter', () => {
  it('limits each key separately and bounds its memory', () => {
    let t = 0;
    const l = new KeyedRateLimiter(1, 1, 3, () => t);
    expect([l.take('a'), l.take('a'), l.take('b')]).toEqual([true, false, true]);
    for (const k of ['c', 'd', 'e', 'f']) l.take(k);
    expect(l.size).toBeLessThanOrEqual(3);
    t = 1000;
    expect(l.take('a')).toBe(true);
  });
});

describe('ConnectionCaps', () => {
  it('reserves per pair and in total, and releases once', () => {
    const caps = new ConnectionCaps(2, 3);
    const a = caps.reserve('u1', 5);
    caps.reserve('u1', 5);
    expect(() => caps.reserve('u1', 5)).toThrow(expect.objectContaining({ errorName: 'GW_TOO_MANY_CONNECTIONS' }));
    caps.reserve('u1', 6);
    expect(() => caps.reserve('u2', 5)).toThrow(expect.objectContaining({ errorName: 'GW_TOO_MANY_CONNECTIONS' }));
    a.release();
    a.release();
    expect(caps.total).toBe(2);
    expect(caps.count('u1', 5)).toBe(1);
    caps.reserve('u2', 5);
  });
});

describe('TtlCache', () => {
  it('expires entries and evicts the least recently used', () => {
    let t = 0;
    const c = new TtlCache<number>(2, () => t);
    c.set('a', 1, 100);
    c.set('b', 2, 100);
    c.get('a');
    c.set('c', 3, 100);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    t = 100;
    expect(c.get('a')).toBeUndefined();
    c.set('z', 1, 0);
    expect(c.get('z')).toBeUndefined();
  });
});
