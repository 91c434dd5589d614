// Restarts, quarantine, admin actions, drain, the heap-limit check, and what reaches the logs.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionDataDir } from '../../src/ids.ts';
import { createMetrics } from '../../src/metrics.ts';
import { REFUSE_LOGIN_FILE } from '../fixtures/cores/echo-core.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';
import { readFileSync, existsSync } from 'node:fs';

afterAll(disposeAll);

interface CoreInfo {
  threadId: number;
  opens: number;
  logins: number;
}

function closes(dbDir: string, userID: string): string[] {
  const f = join(sessionDataDir(dbDir, userID, 5), 'closes.log');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

describe('restart intensity', () => {
  it('quarantines a session that crashes more than the intensity allows; only unquarantine releases it', async () => {
    const h = makeSupervisor({ restartIntensity: 1 });
    const { supervisor } = h;
    const c = fakeClient('q');
    await supervisor.login(c, 'op');
    supervisor.fault('q', 5, 'throw');
    await expect.poll(() => supervisor.get('q', 5)!.restarts === 1 && supervisor.get('q', 5)!.state === 'ready', { timeout: 5000, message: 'first restart' }).toBe(true);
    supervisor.fault('q', 5, 'exit');
    await expect.poll(() => supervisor.get('q', 5)!.state === 'quarantined', { timeout: 5000, message: 'quarantine' }).toBe(true);

    const failed = await c.waitFor('OnConnectFailed');
    expect(failed.errCode).toBe(20011);
    const r = await settle(supervisor.call(c, 'Echo', [], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_SESSION_QUARANTINED');
    expect(!r.ok && r.error.detail.reason).toBe('exit');
    expect(supervisor.get('q', 5)!.threadId).toBeNull();
    const tab = fakeClient('q');
    const l = await settle(supervisor.login(tab, 'op'));
    expect(!l.ok && l.error.errorName).toBe('GW_SESSION_QUARANTINED');
    // Logging out does not launder the quarantine.
    await supervisor.logout(c, 'op');
    expect(supervisor.get('q', 5)!.state).toBe('quarantined');
    expect(!(await settle(supervisor.login(fakeClient('q'), 'op'))).ok).toBe(true);

    const back = fakeClient('q');
    expect(await supervisor.unquarantine('q', 5)).toBe(true);
    expect(supervisor.get('q', 5)!.state).toBe('ready');
    await supervisor.login(back, 'op');
    expect(await supervisor.call(back, 'Echo', ['ok'], 'op')).toEqual(['ok']);
    expect(await supervisor.unquarantine('q', 5)).toBe(false);
  });

  it('keeps a quarantine when the idle grace of its dropped clients runs out', async () => {
    const { supervisor } = makeSupervisor({ restartIntensity: 0, idleGraceMs: 300 });
    const c = fakeClient('qi');
    await supervisor.login(c, 'op');
    supervisor.detach(c); // the socket dropped: the idle grace is armed
    supervisor.fault('qi', 5, 'exit');
    await expect.poll(() => supervisor.get('qi', 5)?.state === 'quarantined', { timeout: 5000, message: 'quarantine' }).toBe(true);
    await new Promise((r) => setTimeout(r, 600)); // well past the grace
    expect(supervisor.get('qi', 5)?.state).toBe('quarantined');
    const l = await settle(supervisor.login(fakeClient('qi'), 'op'));
    expect(!l.ok && l.error.errorName).toBe('GW_SESSION_QUARANTINED');
  });

  it('does not count admin restarts toward the intensity', async () => {
    const { supervisor } = makeSupervisor({ restartIntensity: 1 });
    const c = fakeClient('adm');
    await supervisor.login(c, 'op');
    const threads = new Set<number>();
    threads.add(((await supervisor.call(c, 'Info', [], 'op')) as CoreInfo).threadId);
    for (let i = 0; i < 2; i++) {
      const inFlight = supervisor.call(c, 'Sleep', [200], 'op');
      expect(await supervisor.restart('adm', 5)).toBe(true);
      expect(await inFlight).toBe(200); // drained, not cut off
      threads.add(((await supervisor.call(c, 'Info', [], 'op')) as CoreInfo).threadId);
    }
    expect(threads.size).toBe(3);
    expect(supervisor.get('adm', 5)!.lastExit?.reason).toBe('normal');
    supervisor.fault('adm', 5, 'throw');
    await expect.poll(() => supervisor.get('adm', 5)!.restarts === 3 && supervisor.get('adm', 5)!.state === 'ready', { timeout: 5000, message: 'crash restart' }).toBe(true);
    expect(await supervisor.restart('nobody', 5)).toBe(false);
  });

  it('leaves a crash during an admin restart to the crash path, starting exactly one new worker', async () => {
    const h = makeSupervisor();
    const c = fakeClient('race');
    await h.supervisor.login(c, 'op');
    const inFlight = settle(h.supervisor.call(c, 'Sleep', [2000], 'op'));
    const restarting = h.supervisor.restart('race', 5); // draining: waits for the Sleep
    expect(h.supervisor.fault('race', 5, 'throw')).toBe(true);
    expect(await restarting).toBe(true);
    const r = await inFlight;
    expect(!r.ok && r.error.errorName).toBe('GW_SESSION_CRASHED');
    await expect.poll(() => h.supervisor.get('race', 5)!.state === 'ready', { timeout: 5000, message: 'ready' }).toBe(true);
    const { threadId } = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    await new Promise((res) => setTimeout(res, 300));
    expect(h.logs.filter((l) => l.includes('"session ready"')).length).toBe(2);
    const info = h.supervisor.get('race', 5)!;
    expect(info).toMatchObject({ restarts: 1, state: 'ready' });
    expect(info.threadId ?? info.pid).toBe(threadId); // a session process has no thread id: its pid

  });

  it('reopens the same data dir and logs in again with the session token after a crash', async () => {
    const { supervisor } = makeSupervisor();
    const c = fakeClient('same');
    await supervisor.login(c, 'op');
    const before = (await supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    supervisor.fault('same', 5, 'throw');
    const from = c.events.length;
    await c.waitFor('OnConnectSuccess', 5000, from);
    const after = (await supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    expect(after.opens).toBe(before.opens + 1);
    expect(after.logins).toBe(before.logins + 1);
    expect(c.names().slice(from, from + 1)).toEqual(['OnConnecting']);
  });

  it('emits OnConnectFailed with the core code when the re-login after a crash is refused', async () => {
    const h = makeSupervisor();
    const c = fakeClient('expired');
    await h.supervisor.login(c, 'op');
    writeFileSync(join(sessionDataDir(h.dbDir, 'expired', 5), REFUSE_LOGIN_FILE), '');
    h.supervisor.fault('expired', 5, 'throw');
    const failed = await c.waitFor('OnConnectFailed');
    expect(failed.errCode).toBe(1501);
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session stopped' }).toBe(true);
    expect(h.supervisor.loginStatus(c)).toBe(1);
    const r = await settle(h.supervisor.call(c, 'Echo', [], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_NOT_LOGGED_IN');
  });
});

describe('metrics', () => {
  it('counts sessions by state, exits and restarts by reason', async () => {
    const metrics = createMetrics();
    const { supervisor } = makeSupervisor({}, { metrics });
    const c = fakeClient('metered');
    await supervisor.login(c, 'op');
    await supervisor.call(c, 'Echo', [], 'op');
    supervisor.fault('metered', 5, 'exit');
    await c.waitFor('OnConnectSuccess', 5000, 2);
    await expect.poll(() => supervisor.get('metered', 5)!.state === 'ready', { timeout: 5000, message: 'ready' }).toBe(true);
    const text = await metrics.registry.metrics();
    expect(text).toContain('sdkgate_sessions{state="ready"} 1');
    expect(text).toContain('sdkgate_session_exits_total{reason="exit"} 1');
    expect(text).toContain('sdkgate_session_restarts_total{reason="exit"} 1');
    expect(text).toMatch(/sdkgate_rpc_duration_seconds_count\{status="ok"\} 1/);
    expect(text).toMatch(/sdkgate_session_start_duration_seconds_count\{status="ok"\} 1/);
  });
});

describe('soft heap watchdog', () => {
  it('drains and restarts a session above its soft heap limit, classified oom', async () => {
    const { supervisor } = makeSupervisor({ sessionHeapMb: 64, heapSoftRatio: 0.5, watchdogMs: 250 });
    const c = fakeClient('fat');
    await supervisor.login(c, 'op');
    await settle(supervisor.call(c, 'Retain', [40], 'op'));
    await expect.poll(() => supervisor.get('fat', 5)!.lastExit !== null, { timeout: 5000, message: 'soft restart' }).toBe(true);
    const exit = supervisor.get('fat', 5)!.lastExit!;
    expect(exit.reason).toBe('oom');
    expect(exit.detail).toContain('soft heap watchdog');
    await expect.poll(() => supervisor.get('fat', 5)!.state === 'ready', { timeout: 5000, message: 'ready again' }).toBe(true);
    expect(await supervisor.call(c, 'Echo', [1], 'op')).toEqual([1]);
  });
});

describe('stuck-worker classification', () => {
  it('classifies a worker that stops answering above its soft heap limit as oom, not watchdog', async () => {
    const { supervisor } = makeSupervisor({ sessionHeapMb: 64, heapSoftRatio: 0.5, watchdogMs: 300 });
    const c = fakeClient('thrash');
    await supervisor.login(c, 'op');
    const r = await settle(supervisor.call(c, 'RetainThenSpin', [40], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_SESSION_CRASHED');
    const exit = supervisor.get('thrash', 5)!.lastExit!;
    expect(exit.reason).toBe('oom');
    expect(exit.detail).toContain('GC thrash');
  });
});

describe('Supervisor#drain', () => {
  it('lets in-flight calls finish, refuses new work with GW_DRAINING, and closes every core', async () => {
    const h = makeSupervisor();
    const a = fakeClient('da');
    const b = fakeClient('db');
    await h.supervisor.login(a, 'op');
    await h.supervisor.login(b, 'op');
    const inFlight = [h.supervisor.call(a, 'Sleep', [400], 'op'), h.supervisor.call(b, 'Sleep', [300], 'op'), h.supervisor.call(a, 'Echo', ['x'], 'op')];
    const drained = h.supervisor.drain(5000);
    const late = await settle(h.supervisor.call(a, 'Echo', [], 'op'));
    expect(!late.ok && late.error.errorName).toBe('GW_DRAINING');
    const login = await settle(h.supervisor.login(fakeClient('dc'), 'op'));
    expect(!login.ok && login.error.errorName).toBe('GW_DRAINING');
    expect(await Promise.all(inFlight)).toEqual([400, 300, ['x']]);
    await drained;
    expect(h.supervisor.list()).toEqual([]);
    expect(closes(h.dbDir, 'da')).toEqual(['drain']);
    expect(closes(h.dbDir, 'db')).toEqual(['drain']);
  });

  it('answers queued calls at once when the bound runs out (they are not left to their own timeouts)', async () => {
    const { supervisor } = makeSupervisor({ sessionConcurrency: 1, callTimeoutMs: 20_000 });
    const c = fakeClient('dq');
    await supervisor.login(c, 'op');
    const running = settle(supervisor.call(c, 'Stubborn', [10_000], 'op')); // outlives the bound
    const queued = [settle(supervisor.call(c, 'Echo', [1], 'op')), settle(supervisor.call(c, 'Echo', [2], 'op'))];
    const t0 = Date.now();
    await supervisor.drain(300);
    const all = await Promise.race([
      Promise.all([running, ...queued]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a call was left unanswered')), 3_000)),
    ]);
    expect(Date.now() - t0).toBeLessThan(3_000);
    for (const o of all) expect(o.ok).toBe(false);
  });

  it('terminates a core that does not close within the bound', async () => {
    const h = makeSupervisor();
    const a = fakeClient('stuck-close');
    await h.supervisor.login(a, 'op');
    await h.supervisor.call(a, 'SetCloseDelay', [60_000], 'op');
    const t0 = Date.now();
    await h.supervisor.drain(400);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(h.supervisor.list()).toEqual([]);
    expect(closes(h.dbDir, 'stuck-close')).toEqual([]); // close never finished
    const exit = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'session worker exited');
    expect(exit.reason).toBe('normal');
    expect(exit.detail).toContain('terminated after');
  });
});

describe('heap limit check', () => {
  const child = fileURLToPath(new URL('./heap-override.child.ts', import.meta.url));
  const run = (nodeOptions: string | undefined) => {
    const env = { ...process.env };
    if (nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim();
    const r = spawnSync(process.execPath, [child], { env, encoding: 'utf8', timeout: 30_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    expect(line, r.stderr).not.toBe('');
    return JSON.parse(line);
  };

  it('refuses to start a worker whose heap limit NODE_OPTIONS=--max-old-space-size overrode', () => {
    const out = run('--max-old-space-size=1000');
    expect(out.ok).toBe(false);
    expect(out.name).toBe('GW_HEAP_LIMIT_OVERRIDDEN');
    expect(out.code).toBe(20071);
    expect(out.detail.requestedMb).toBe(32);
    expect(out.detail.heapSizeLimitMb).toBeGreaterThanOrEqual(1000);
    expect(out.exits).toEqual(['init_failed']);
  });

  it('starts the same worker when nothing overrides the limit, and reports the limit asked for', () => {
    const out = run(undefined);
    expect(out.ok).toBe(true);
    // old 32 MB + 1.5 × young 2 MB (youngGenerationMb(32))
    expect(out.heapLimit / 1024 / 1024).toBeCloseTo(35, 0);
    expect(out.exits).toEqual(['normal']);
  });
});

describe('resources', () => {
  it('leaves no handle that keeps the process alive (ports, timers, threads) after crashes, restarts and logouts', async () => {
    const count = (): Record<string, number> => {
      const m: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) m[r] = (m[r] ?? 0) + 1;
      return m;
    };
    await new Promise((r) => setTimeout(r, 50));
    const before = count();
    const h = makeSupervisor({ logLevel: 'warn' });
    for (let i = 0; i < 3; i++) {
      const c = fakeClient('leak');
      await h.supervisor.login(c, 'op');
      await h.supervisor.call(c, 'Echo', [], 'op');
      h.supervisor.fault('leak', 5, 'throw');
      await c.waitFor('OnConnectSuccess', 5000, 2);
      await expect.poll(() => h.supervisor.get('leak', 5)!.state === 'ready', { timeout: 5000, message: 'ready' }).toBe(true);
      await h.supervisor.logout(c, 'op');
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(h.supervisor.list()).toEqual([]);
    const after = count();
    // Other tests' sessions may still be alive: nothing may have been ADDED by this one.
    for (const kind of new Set([...Object.keys(before), ...Object.keys(after)])) {
      expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(before[kind] ?? 0);
    }
  });
});

describe('logs', () => {
  it('never contain the token or the Login arguments, through login, crash, restart and logout', async () => {
    const h = makeSupervisor({ logLevel: 'trace' });
    const token = 'eyJhbGciOiJIUzI1NiJ9.SECRET-TOKEN-4f1c';
    const c = fakeClient('logged', 5, token);
    await h.supervisor.login(c, 'op');
    h.supervisor.fault('logged', 5, 'throw');
    await c.waitFor('OnConnectSuccess', 5000, 2);
    await h.supervisor.logout(c, 'op');
    const all = h.logs.join('');
    expect(all).toContain('"userID":"logged"');
    expect(all).toContain('echo core logged in'); // forwarded worker lines are captured too
    expect(all).not.toContain('SECRET-TOKEN');
    for (const line of h.logs) {
      const o = JSON.parse(line);
      if (o.sessionId !== undefined) expect(Object.keys(o)).toEqual(expect.arrayContaining(['userID', 'platformID', 'sessionId']));
    }
  });
});
