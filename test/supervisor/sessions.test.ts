// Login / Logout / detach semantics, single-flight start, event fan-out and the idle grace.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionDataDir } from '../../src/ids.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, HANGING_CORE, makeSupervisor, settle, THROWING_CORE } from './harness.ts';

afterAll(disposeAll);

interface CoreInfo {
  threadId: number;
  opens: number;
  logins: number;
  dataDir: string;
}

function closes(dbDir: string, userID: string, platformID = 5): string[] {
  const f = join(sessionDataDir(dbDir, userID, platformID), 'closes.log');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

describe('Supervisor#login', () => {
  it('starts one worker for concurrent logins of the same pair (single-flight)', async () => {
    const { supervisor } = makeSupervisor();
    const tabs = [1, 2, 3].map(() => fakeClient('sf', 5, 'slow:tok'));
    await Promise.all(tabs.map((t) => supervisor.login(t, 'op')));
    const infos = (await Promise.all(tabs.map((t) => supervisor.call(t, 'Info', [], 'op')))) as CoreInfo[];
    expect(new Set(infos.map((i) => i.threadId)).size).toBe(1);
    expect(infos[0]!.logins).toBe(1);
    expect(supervisor.list()).toHaveLength(1);
    expect(supervisor.get('sf', 5)!.connections).toBe(3);
    for (const t of tabs) expect(supervisor.loginStatus(t)).toBe(3);
  });

  it('attaches a second tab to the logged-in session without logging the core in again', async () => {
    const { supervisor } = makeSupervisor();
    const tab1 = fakeClient('two');
    const tab2 = fakeClient('two');
    await supervisor.login(tab1, 'op');
    await supervisor.login(tab2, 'op');
    const info = (await supervisor.call(tab2, 'Info', [], 'op')) as CoreInfo;
    expect(info.logins).toBe(1);
    // The joining tab is told where the connection stands, once; the first tab hears nothing twice.
    expect(tab2.names()).toEqual(['OnConnectSuccess']);
    expect(tab1.names()).toEqual(['OnConnecting', 'OnConnectSuccess']);
  });

  it('rejects with the core code when the core refuses Login, and stops the worker normally', async () => {
    const h = makeSupervisor();
    const c = fakeClient('refused', 5, 'bad-token');
    const r = await settle(h.supervisor.login(c, 'op'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(1501);
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session removed' }).toBe(true);
    expect(h.supervisor.loginStatus(c)).toBe(1);
    expect(closes(h.dbDir, 'refused')).toEqual(['idle']); // closed, never told the server "logout"
    const exits = h.logs.filter((l) => l.includes('session worker exited')).map((l) => JSON.parse(l).reason);
    expect(exits).toEqual(['normal']);
    // A later Login is a fresh attempt.
    const ok = fakeClient('refused');
    await h.supervisor.login(ok, 'op');
    expect(h.supervisor.loginStatus(ok)).toBe(3);
  });

  it('rejects with GW_INTERNAL and spawns no second worker when the core cannot be created', async () => {
    const h = makeSupervisor({}, { coreModule: THROWING_CORE });
    const c = fakeClient('broken');
    const r = await settle(h.supervisor.login(c, 'op'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.errorName).toBe('GW_INTERNAL');
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session removed' }).toBe(true);
    const exits = h.logs.filter((l) => l.includes('session worker exited')).map((l) => JSON.parse(l).reason);
    expect(exits).toEqual(['init_failed']);
  });
  it('makes a failed start wait out a growing cooldown before the next spawn', async () => {
    const h = makeSupervisor({ restartBackoffMs: 300, restartBackoffMaxMs: 5_000 }, { coreModule: THROWING_CORE });
    const first = await settle(h.supervisor.login(fakeClient('cool'), 'op'));
    expect(!first.ok && first.error.errorName).toBe('GW_INTERNAL');
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session removed' }).toBe(true);
    const early = await settle(h.supervisor.login(fakeClient('cool'), 'op'));
    expect(!early.ok && early.error.errorName).toBe('GW_SESSION_RESTARTING');
    const wait = !early.ok ? (early.error.detail.restartInMs as number) : 0;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, wait + 20));
    const second = await settle(h.supervisor.login(fakeClient('cool'), 'op'));
    expect(!second.ok && second.error.errorName).toBe('GW_INTERNAL'); // a real second attempt
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session removed' }).toBe(true);
    const again = await settle(h.supervisor.login(fakeClient('cool'), 'op'));
    expect(!again.ok && (again.error.detail.restartInMs as number)).toBeGreaterThan(300); // doubled
    // Another user is not held back by this one's failures.
    const other = await settle(h.supervisor.login(fakeClient('other-user'), 'op'));
    expect(!other.ok && other.error.errorName).toBe('GW_INTERNAL');
    const spawns = h.logs.filter((l) => l.includes('session worker exited')).length;
    expect(spawns).toBe(3); // cool twice, other once: the refused attempts spawned nothing
  });

  it('gives up on a worker that is not logged in within startTimeoutMs (init_failed)', async () => {
    const h = makeSupervisor({ startTimeoutMs: 400 }, { coreModule: HANGING_CORE });
    const c = fakeClient('hang');
    const pending = settle(h.supervisor.login(c, 'op'));
    await expect.poll(() => h.supervisor.loginStatus(c) === 2, { timeout: 2000, message: 'logging in' }).toBe(true);
    const r = await pending;
    expect(!r.ok && r.error.errorName).toBe('GW_INTERNAL');
    expect(!r.ok && r.error.detail.reason).toBe('init_failed');
    expect(!r.ok && r.error.detail.detail).toContain('not logged in within 400 ms');
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'session removed' }).toBe(true);
  });
});

describe('Supervisor#login racing a closed connection', () => {
  it('does not attach a connection that closed while its Login waited for the previous session to stop', async () => {
    const { supervisor } = makeSupervisor({ idleGraceMs: 200 });
    const a = fakeClient('ghost');
    await supervisor.login(a, 'op');
    await supervisor.call(a, 'SetCloseDelay', [800], 'op');
    const logout = supervisor.logout(a, 'op'); // last client: the session stops, slowly
    const b = fakeClient('ghost');
    const login = settle(supervisor.login(b, 'op')); // waits for the old session to stop
    await new Promise((r) => setTimeout(r, 100));
    supervisor.detach(b); // B's socket closed before that
    await logout;
    const r = await login;
    expect(!r.ok && r.error.errorName).toBe('GW_SESSION_STOPPED');
    await new Promise((r2) => setTimeout(r2, 500));
    // Nothing holds a session for a connection that no longer exists.
    expect(supervisor.list().filter((s) => s.userID === 'ghost' && s.state !== 'stopped')).toEqual([]);
  });
});

describe('Supervisor#call', () => {
  it('refuses calls from a client that is not logged in', async () => {
    const { supervisor } = makeSupervisor();
    const c = fakeClient('nobody');
    const r = await settle(supervisor.call(c, 'Echo', [], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_NOT_LOGGED_IN');
    expect(supervisor.loginStatus(c)).toBe(1);
  });

  it('forwards GetLoginStatus to the core like any call', async () => {
    const { supervisor } = makeSupervisor();
    const c = fakeClient('status');
    await supervisor.login(c, 'op');
    expect(await supervisor.call(c, 'GetLoginStatus', [], 'op')).toBe(3);
    expect(await supervisor.call(c, 'GetLoginUserID', [], 'op')).toBe('status');
  });

  it('passes a core CodedError through with its code and hides unknown errors', async () => {
    const { supervisor } = makeSupervisor();
    const c = fakeClient('errs');
    await supervisor.login(c, 'op');
    const coded = await settle(supervisor.call(c, 'Fail', [10005, 'record not found'], 'op'));
    expect(!coded.ok && [coded.error.code, coded.error.message]).toEqual([10005, 'record not found']);
    const internal = await settle(supervisor.call(c, 'Crash', [], 'op'));
    expect(!internal.ok && internal.error.errorName).toBe('GW_INTERNAL');
    expect(!internal.ok && internal.error.message).not.toContain('internal detail');
    const unknown = await settle(supervisor.call(c, 'toString', [], 'op'));
    expect(!unknown.ok && unknown.error.errorName).toBe('GW_UNKNOWN_FUNCTION');
  });

  it('answers GW_BUSY at once when the running slots and the queue are full', async () => {
    const { supervisor } = makeSupervisor({ sessionConcurrency: 1, sessionQueue: 1 });
    const c = fakeClient('busy');
    await supervisor.login(c, 'op');
    const running = supervisor.call(c, 'Sleep', [300], 'op');
    const queued = supervisor.call(c, 'Echo', ['queued'], 'op');
    expect(supervisor.get('busy', 5)!.queueDepth).toBe(1);
    const refused = await settle(supervisor.call(c, 'Echo', ['third'], 'op'));
    expect(!refused.ok && refused.error.errorName).toBe('GW_BUSY');
    expect(await running).toBe(300);
    expect(await queued).toEqual(['queued']);
  });

  it('times out a call with GW_CALL_TIMEOUT, cancels it in the worker, and keeps serving', async () => {
    const h = makeSupervisor({ callTimeoutMs: 300 });
    const c = fakeClient('slow');
    await h.supervisor.login(c, 'op');
    const t0 = Date.now();
    const r = await settle(h.supervisor.call(c, 'Sleep', [10_000], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_CALL_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await h.supervisor.call(c, 'Echo', [1], 'op')).toEqual([1]);
    // The worker acknowledged the cancel: past the overdue grace (watchdogMs) nothing was poisoned.
    await new Promise((r) => setTimeout(r, h.options.watchdogMs + 300));
    expect(h.supervisor.get('slow', 5)!.restarts).toBe(0);
    expect(h.supervisor.get('slow', 5)!.lastExit).toBeNull();
    expect(h.supervisor.get('slow', 5)!.inFlight).toBe(0);
  });

  it('keeps a timed-out call\'s slot until the worker settles it, so the next call never overlaps it', async () => {
    const h = makeSupervisor({ sessionConcurrency: 1, callTimeoutMs: 600, watchdogMs: 5000 });
    const c = fakeClient('slot');
    await h.supervisor.login(c, 'op');
    const t0 = Date.now();
    const r = await settle(h.supervisor.call(c, 'Stubborn', [800], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_CALL_TIMEOUT');
    const next = h.supervisor.call(c, 'Echo', ['next'], 'op');
    expect(h.supervisor.get('slot', 5)).toMatchObject({ queueDepth: 1, inFlight: 1 });
    expect(await next).toEqual(['next']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(750); // ran only after Stubborn finished
  });

  it('poisons and restarts a session whose worker ignores a timed-out call (classified watchdog)', async () => {
    const h = makeSupervisor({ callTimeoutMs: 300, watchdogMs: 300 });
    const c = fakeClient('stubborn');
    await h.supervisor.login(c, 'op');
    const before = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    const r = await settle(h.supervisor.call(c, 'Stubborn', [60_000], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_CALL_TIMEOUT');
    await expect.poll(() => h.supervisor.get('stubborn', 5)!.lastExit?.reason === 'watchdog', { timeout: 5000, message: 'watchdog exit' }).toBe(true);
    await expect.poll(() => h.supervisor.get('stubborn', 5)!.state === 'ready', { timeout: 5000, message: 'ready again' }).toBe(true);
    const after = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    expect(after.threadId).not.toBe(before.threadId);
  });

  it('rejects calls during backoff with GW_SESSION_RESTARTING and the restart ETA', async () => {
    const h = makeSupervisor({ restartBackoffMs: 1500, restartBackoffMaxMs: 1500 });
    const c = fakeClient('eta');
    await h.supervisor.login(c, 'op');
    h.supervisor.fault('eta', 5, 'throw');
    await expect.poll(() => h.supervisor.get('eta', 5)!.state === 'backoff', { timeout: 5000, message: 'backoff' }).toBe(true);
    const r = await settle(h.supervisor.call(c, 'Echo', [], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_SESSION_RESTARTING');
    if (!r.ok) {
      expect(r.error.detail.restartInMs).toBeGreaterThan(0);
      expect(r.error.detail.restartInMs).toBeLessThanOrEqual(1500);
    }
    expect(h.supervisor.loginStatus(c)).toBe(2);
  });
});

describe('events', () => {
  it('delivers every callback to every tab of the pair, in order, and none to another user', async () => {
    const { supervisor } = makeSupervisor();
    const tab1 = fakeClient('fan');
    const tab2 = fakeClient('fan');
    const other = fakeClient('other');
    await supervisor.login(tab1, 'op');
    await supervisor.login(tab2, 'op');
    await supervisor.login(other, 'op');
    const from1 = tab1.events.length;
    const otherBefore = other.names();
    expect(await supervisor.call(tab2, 'Emit', ['OnRecvNewMessages', 50], 'op')).toBe(50);
    for (const t of [tab1, tab2]) {
      const got = t.events.slice(t === tab1 ? from1 : 0).filter((e) => e.event === 'OnRecvNewMessages');
      // Emitted before the result, so delivered before the call resolved.
      expect(got.map((e) => JSON.parse(e.data).seq)).toEqual([...Array(50).keys()]);
      expect(JSON.parse(got[0]!.data).userID).toBe('fan');
    }
    expect(other.names()).toEqual(otherBefore);
  });
});

describe('Supervisor#logout', () => {
  it('detaches one tab and keeps the session for the others; the last logout stops it', async () => {
    const h = makeSupervisor();
    const tab1 = fakeClient('lo');
    const tab2 = fakeClient('lo');
    await h.supervisor.login(tab1, 'op');
    await h.supervisor.login(tab2, 'op');
    const { threadId } = (await h.supervisor.call(tab1, 'Info', [], 'op')) as CoreInfo;
    await h.supervisor.logout(tab1, 'op');
    expect(h.supervisor.loginStatus(tab1)).toBe(1);
    expect(!((await settle(h.supervisor.call(tab1, 'Echo', [], 'op'))).ok)).toBe(true);
    expect(((await h.supervisor.call(tab2, 'Info', [], 'op')) as CoreInfo).threadId).toBe(threadId);
    expect(closes(h.dbDir, 'lo')).toEqual([]);

    await h.supervisor.logout(tab2, 'op');
    expect(closes(h.dbDir, 'lo')).toEqual(['logout']);
    expect(h.supervisor.list()).toEqual([]);
    const r = await settle(h.supervisor.call(tab2, 'Echo', [], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_NOT_LOGGED_IN');
    const exits = h.logs.filter((l) => l.includes('session worker exited')).map((l) => JSON.parse(l).reason);
    expect(exits).toEqual(['normal']);
  });

  it('starts a fresh worker on the same data dir when the user logs in again after logout', async () => {
    const h = makeSupervisor();
    const c = fakeClient('again');
    await h.supervisor.login(c, 'op');
    const first = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    await h.supervisor.logout(c, 'op');
    await h.supervisor.login(c, 'op');
    const second = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    expect(second.threadId).not.toBe(first.threadId);
    expect(second.dataDir).toBe(first.dataDir);
    expect(second.opens).toBe(first.opens + 1);
  });
  it('waits for a stopping session to close its core before a new login opens the same data dir', async () => {
    const h = makeSupervisor();
    const first = fakeClient('handover');
    await h.supervisor.login(first, 'op');
    const before = (await h.supervisor.call(first, 'Info', [], 'op')) as CoreInfo;
    await h.supervisor.call(first, 'SetCloseDelay', [300], 'op');
    const loggingOut = h.supervisor.logout(first, 'op');
    const next = fakeClient('handover');
    await h.supervisor.login(next, 'op');
    // The old core had finished closing before the new one was created.
    expect(closes(h.dbDir, 'handover')).toEqual(['logout']);
    const after = (await h.supervisor.call(next, 'Info', [], 'op')) as CoreInfo;
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.opens).toBe(before.opens + 1);
    await loggingOut;
  });
});

describe('idle grace', () => {
  it('re-attaches a reconnecting client to the same warm worker within the grace', async () => {
    const h = makeSupervisor({ idleGraceMs: 5_000 });
    const c = fakeClient('warm');
    await h.supervisor.login(c, 'op');
    const before = (await h.supervisor.call(c, 'Info', [], 'op')) as CoreInfo;
    h.supervisor.detach(c);
    expect(h.supervisor.get('warm', 5)!.idleSince).not.toBeNull();
    expect(h.supervisor.loginStatus(c)).toBe(1);
    const again = fakeClient('warm'); // a new socket of the same user
    await h.supervisor.login(again, 'op');
    const after = (await h.supervisor.call(again, 'Info', [], 'op')) as CoreInfo;
    expect(after.threadId).toBe(before.threadId);
    expect(after.opens).toBe(before.opens); // no new core
    expect(after.logins).toBe(before.logins); // no new Login, no re-sync
    expect(h.supervisor.get('warm', 5)!.idleSince).toBeNull();
    expect(again.names()).toEqual(['OnConnectSuccess']); // told once where the connection stands
  });

  it('stops the session (reason idle) once the grace expires', async () => {
    const h = makeSupervisor({ idleGraceMs: 200 });
    const c = fakeClient('cold');
    await h.supervisor.login(c, 'op');
    h.supervisor.detach(c);
    await expect.poll(() => h.supervisor.list().length === 0, { timeout: 5000, message: 'idle stop' }).toBe(true);
    expect(closes(h.dbDir, 'cold')).toEqual(['idle']);
  });
});
