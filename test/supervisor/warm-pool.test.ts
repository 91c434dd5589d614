// The warm spare pool: a login binds a worker spawned before it, the pool refills in the
// background, and a worker that served a user is never handed to anyone again.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_OS_LIMITS } from '../../src/supervisor/os-limits.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, until } from './harness.ts';

afterAll(disposeAll);

async function threadOf(supervisor: ReturnType<typeof makeSupervisor>['supervisor'], c: ReturnType<typeof fakeClient>): Promise<number> {
  return ((await supervisor.call(c, 'Info', [], 'op')) as { threadId: number }).threadId;
}

describe('warm pool', () => {
  it('binds a login to a worker spawned before it, then refills in the background', async () => {
    const { supervisor } = makeSupervisor({ warmPool: 2 });
    const pool = supervisor.warmPool!;
    expect(pool.size).toBe(2);
    await until(() => pool.available === 2, 10_000, 'two spares');
    const spares = pool.threadIds();
    const spawnedBefore = pool.spawned;
    const a = fakeClient('warm-a');
    await supervisor.login(a, 'op');
    const t = await threadOf(supervisor, a);
    expect(spares).toContain(t);
    const info = supervisor.get('warm-a', 5)!;
    expect(info.threadId ?? info.pid).toBe(t); // a session process has no thread id: its pid
    // Refilled, with a new worker, not the one the user got.
    await until(() => pool.available === 2, 10_000, 'refill');
    expect(pool.spawned).toBe(spawnedBefore + 1);
    expect(pool.threadIds()).not.toContain(t);
  });

  it('never hands out a worker again after its user: logout then login gets another thread', async () => {
    const { supervisor } = makeSupervisor({ warmPool: 1 });
    const pool = supervisor.warmPool!;
    await until(() => pool.available === 1, 10_000, 'a spare');
    const a = fakeClient('warm-reuse');
    await supervisor.login(a, 'op');
    const first = await threadOf(supervisor, a);
    await supervisor.logout(a, 'op');
    await until(() => pool.available === 1, 10_000, 'refill');
    expect(pool.threadIds()).not.toContain(first);
    const again = fakeClient('warm-reuse');
    await supervisor.login(again, 'op');
    const second = await threadOf(supervisor, again);
    expect(second).not.toBe(first);
    // A different user after it does not get the first worker either.
    const other = fakeClient('warm-other');
    await supervisor.login(other, 'op');
    expect([first, second]).not.toContain(await threadOf(supervisor, other));
  });

  it('does not return a faulted worker: the restart binds a fresh worker', async () => {
    const { supervisor } = makeSupervisor({ warmPool: 1 });
    const pool = supervisor.warmPool!;
    await until(() => pool.available === 1, 10_000, 'a spare');
    const a = fakeClient('warm-fault');
    await supervisor.login(a, 'op');
    const before = await threadOf(supervisor, a);
    const fromPool = pool.threadIds();
    expect(supervisor.fault('warm-fault', 5, 'exit')).toBe(true);
    await until(() => supervisor.get('warm-fault', 5)?.state === 'ready' && supervisor.get('warm-fault', 5)!.restarts === 1, 10_000, 'restart');
    const after = await threadOf(supervisor, a);
    expect(after).not.toBe(before);
    // It was the spare waiting at the time (or a fresh spawn), never the faulted one.
    expect([...fromPool, ...pool.threadIds()]).not.toContain(before);
    await until(() => pool.available === 1, 10_000, 'refill');
    expect(pool.threadIds()).not.toContain(before);
    expect(pool.threadIds()).not.toContain(after);
  });

  it('gives a user with a per-user heap override a cold spawn (spares are booted for the default limits)', async () => {
    const limitsFile = join(makeSupervisor({ warmPool: 0 }).dbDir, 'limits.json');
    writeFileSync(limitsFile, JSON.stringify({ users: { big: { sessionHeapMb: 48 } } }));
    const h = makeSupervisor({ warmPool: 1, limitsFile });
    const pool = h.supervisor.warmPool!;
    await until(() => pool.available === 1, 10_000, 'a spare');
    const spare = pool.threadIds()[0];
    const big = fakeClient('big');
    await h.supervisor.login(big, 'op');
    expect(await threadOf(h.supervisor, big)).not.toBe(spare);
    expect(pool.threadIds()).toEqual([spare]);
    expect(h.supervisor.get('big', 5)!.heapLimit ?? 48 * 1024 * 1024).toBeGreaterThanOrEqual(48 * 1024 * 1024);
  });

  it('still binds a default-limits login to a spare after a SIGHUP reload (sessions and the pool build one spec)', async () => {
    const limitsFile = join(makeSupervisor({ warmPool: 0 }).dbDir, 'limits.json');
    writeFileSync(limitsFile, JSON.stringify({ users: { other: { sessionHeapMb: 48 } } }));
    const h = makeSupervisor({ warmPool: 1, limitsFile });
    const pool = h.supervisor.warmPool!;
    await until(() => pool.available === 1, 10_000, 'a spare');
    writeFileSync(limitsFile, JSON.stringify({ users: { other: { sessionQueue: 3 }, another: { callTimeoutMs: 60_000 } } }));
    h.log.level = 'info'; // what the gateway does before supervisor.reload
    h.supervisor.reload(h.options);
    const spare = pool.threadIds()[0];
    const plain = fakeClient('plain');
    await h.supervisor.login(plain, 'op');
    expect(await threadOf(h.supervisor, plain)).toBe(spare);
  });

  it('terminates its spares on drain', async () => {
    const h = makeSupervisor({ warmPool: 2 });
    const pool = h.supervisor.warmPool!;
    await until(() => pool.available === 2, 10_000, 'two spares');
    await h.supervisor.drain(2_000);
    expect(pool.available).toBe(0);
    const boot = { protocolVersion: 1, coreModule: 'x', heapLimitMb: 32, faultInjection: true, logLevel: 'debug' } as const;
    expect(pool.take({ isolation: 'thread', boot, os: NO_OS_LIMITS })).toBeNull();
  });

  it('is off with --warm-pool 0', () => {
    expect(makeSupervisor({ warmPool: 0 }).supervisor.warmPool).toBeNull();
  });
});
