// src/timeout.ts: the main thread's bounded waits leave no timer behind.

import { describe, expect, it } from 'vitest';
import { timeoutSignal, withTimeout } from '../src/timeout.ts';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withTimeout', () => {
  it('resolves with the value when it comes first, and clears its timer', async () => {
    const before = timers();
    expect(await withTimeout(Promise.resolve(7), 60_000)).toBe(7);
    expect(timers()).toBe(before);
  });

  it('resolves with undefined once the time is up', async () => {
    expect(await withTimeout(new Promise(() => {}), 10)).toBeUndefined();
  });

  it('resolves with undefined for a rejection, and clears its timer', async () => {
    const before = timers();
    expect(await withTimeout(Promise.reject(new Error('boom')), 60_000)).toBeUndefined();
    expect(timers()).toBe(before);
  });
});

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError once the time is up', async () => {
    const t = timeoutSignal(10, 'probe timed out');
    await new Promise((r) => t.signal.addEventListener('abort', r, { once: true }));
    expect(t.signal.reason).toMatchObject({ name: 'TimeoutError', message: 'probe timed out' });
  });

  it('never aborts once cleared, and leaves no timer', async () => {
    const before = timers();
    const t = timeoutSignal(10, 'probe timed out');
    t.clear();
    expect(timers()).toBe(before);
    await new Promise((r) => setTimeout(r, 30));
    expect(t.signal.aborted).toBe(false);
  });
});
