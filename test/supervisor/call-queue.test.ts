// A session's call admission on fake timers: the deadline covers queue wait and run, a queued
// call times out without reaching the worker, a slot is held until the worker settles the call,
// and a full line is refused at once.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../helpers/deferred.ts';
import { gatewayError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { CallOptions, RpcCall, RpcClient } from '../../src/rpc/client.ts';
import { CallQueue } from '../../src/supervisor/call-queue.ts';
import { resolveOptions } from '../../src/options.ts';
import { readLimits } from '../../src/supervisor/limits.ts';

interface Sent {
  fn: string;
  deadline: number;
  answer(v: unknown): void;
  fail(e: unknown): void;
  /** The worker is done with the call (answered or not). */
  settle(): void;
}

/** A worker that records each call and lets the test answer and settle it. */
function fakeWorker(): { worker: RpcClient; sent: Sent[] } {
  const sent: Sent[] = [];
  let id = 0;
  const worker: Pick<RpcClient, 'call'> = {
    call(fn: string, _args: readonly unknown[], o: CallOptions): RpcCall {
      const r = deferred<unknown>();
      const s = deferred();
      sent.push({ fn, deadline: o.deadline ?? 0, answer: (v) => r.resolve(v), fail: (e) => r.reject(e), settle: () => s.resolve() });
      return { id: ++id, result: r.promise, settled: s.promise };
    },
  };
  return { worker: worker as RpcClient, sent };
}

const limits = { sessionConcurrency: 1, sessionQueue: 2, callTimeoutMs: 1_000 } as const;
const queue = (): CallQueue => new CallQueue(readLimits(resolveOptions([], {}, limits)).defaults, createMetrics());

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => expect.unreachable(`resolved with ${String(v)}`), (e: unknown) => e);
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CallQueue', () => {
  it('gives the worker one deadline, callTimeoutMs from submit, that covers the wait in line', async () => {
    const { worker, sent } = fakeWorker();
    const q = queue();
    const first = q.submit('A', [], 'op1', () => worker);
    const second = q.submit('B', [], 'op2', () => worker);
    expect(sent.map((s) => s.fn)).toEqual(['A']);
    expect(sent[0]!.deadline).toBe(1_000_000 + 1_000);
    await vi.advanceTimersByTimeAsync(400);
    sent[0]!.answer('a');
    sent[0]!.settle();
    await expect(first).resolves.toBe('a');
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    // B waited 400 ms in line: its deadline is still 1 s after it was submitted, not after it started.
    expect(sent[1]!.deadline).toBe(1_000_000 + 1_000);
    sent[1]!.answer('b');
    sent[1]!.settle();
    await expect(second).resolves.toBe('b');
  });

  it('fails a call still in line at its deadline with GW_CALL_TIMEOUT, and it never reaches the worker', async () => {
    const { worker, sent } = fakeWorker();
    const q = queue();
    void q.submit('A', [], 'op1', () => worker);
    const pick = vi.fn(() => worker);
    const waiting = rejection(q.submit('B', [], 'op2', pick));
    await vi.advanceTimersByTimeAsync(999);
    expect(q.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toMatchObject({ errorName: 'GW_CALL_TIMEOUT', detail: { fn: 'B', queued: true } });
    sent[0]!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(pick).not.toHaveBeenCalled();
    expect(sent).toHaveLength(1);
  });

  it('holds the slot until the worker settles a call, even after the call was answered by its deadline', async () => {
    const { worker, sent } = fakeWorker();
    const q = queue();
    const first = rejection(q.submit('A', [], 'op1', () => worker));
    const second = q.submit('B', [], 'op2', () => worker);
    sent[0]!.fail(new Error('deadline passed')); // the RPC client's own timeout answered A
    await first;
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toHaveLength(1); // A may still be running in the worker: B must not overlap it
    expect(q.active).toBe(1);
    sent[0]!.settle();
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    sent[1]!.answer('b');
    sent[1]!.settle();
    await expect(second).resolves.toBe('b');
  });

  it('refuses at once with GW_BUSY when the slots and the line are full', async () => {
    const { worker } = fakeWorker();
    const q = queue();
    for (let i = 0; i < limits.sessionConcurrency + limits.sessionQueue; i++) void q.submit('A', [], `op${i}`, () => worker).catch(() => {});
    expect(await rejection(q.submit('A', [], 'over', () => worker))).toMatchObject({ errorName: 'GW_BUSY', detail: { queued: 2, running: 1 } });
  });

  it('holds waiting calls while paused, still bounded by their deadline, and answers each on clear()', async () => {
    const { worker, sent } = fakeWorker();
    const q = queue();
    q.pause();
    const a = rejection(q.submit('A', [], 'op1', () => worker));
    const b = rejection(q.submit('B', [], 'op2', () => worker));
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toHaveLength(0);
    q.clear(gatewayError('GW_SESSION_STOPPED'));
    expect(await a).toMatchObject({ errorName: 'GW_SESSION_STOPPED' });
    expect(await b).toMatchObject({ errorName: 'GW_SESSION_STOPPED' });
    const c = rejection(q.submit('C', [], 'op3', () => worker));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await c).toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
    q.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(0);
  });
});
