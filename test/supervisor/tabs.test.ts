// What each tab of a session hears at its seams: a tab joining a running session is told where
// the connection and the sync stand (and only it), a crash or a quarantine keeps every tab's
// connection and sync callbacks well formed, and the echo of a send reaches the other tabs only.

import { afterAll, describe, expect, it } from 'vitest';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor } from './harness.ts';

afterAll(disposeAll);

const lifecycle = (names: string[]): string[] => names.filter((n) => n.startsWith('OnConnect') || n.startsWith('OnSyncServer'));

describe('a tab that joins a running session', () => {
  it('is told OnConnectSuccess and the open sync, then hears its end live like the others', async () => {
    const { supervisor } = makeSupervisor();
    const t1 = fakeClient('join-sync');
    await supervisor.login(t1, 'op');
    await supervisor.call(t1, 'Emit', ['OnSyncServerStart', 1], 'op');
    const t2 = fakeClient('join-sync');
    await supervisor.login(t2, 'op');
    expect(t2.names()).toEqual(['OnConnectSuccess', 'OnSyncServerStart']);
    await supervisor.call(t1, 'Emit', ['OnSyncServerFinish', 1], 'op');
    expect(t2.names()).toEqual(['OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish']);
    expect(t1.names()).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish']);
  });

  it('is told OnConnecting during a restart backoff, and OnConnectSuccess once when the new core is in', async () => {
    const { supervisor } = makeSupervisor({ restartBackoffMs: 300, restartBackoffMaxMs: 300 });
    const t1 = fakeClient('join-backoff');
    await supervisor.login(t1, 'op');
    supervisor.fault('join-backoff', 5, 'exit');
    await expect.poll(() => supervisor.get('join-backoff', 5)!.state === 'backoff', { timeout: 5000, message: 'backoff' }).toBe(true);
    const t2 = fakeClient('join-backoff');
    await supervisor.login(t2, 'op');
    expect(t2.names()).toEqual(['OnConnecting', 'OnConnectSuccess']);
    expect(t1.names()).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnConnecting', 'OnConnectSuccess']);
  });
});

describe('every tab across a crash', () => {
  it('hears OnConnecting and OnConnectSuccess once per reconnection, and a sync cut short stays one pair', async () => {
    const { supervisor } = makeSupervisor();
    const t1 = fakeClient('crash-sync');
    await supervisor.login(t1, 'op');
    await supervisor.call(t1, 'Emit', ['OnSyncServerStart', 1], 'op');
    supervisor.fault('crash-sync', 5, 'exit');
    await expect.poll(() => supervisor.get('crash-sync', 5)!.restarts === 1 && supervisor.get('crash-sync', 5)!.state === 'ready', { timeout: 5000, message: 'restart' }).toBe(true);
    // The new core syncs again; the tabs still have the first Start open.
    await supervisor.call(t1, 'Emit', ['OnSyncServerStart', 1], 'op');
    await supervisor.call(t1, 'Emit', ['OnSyncServerFinish', 1], 'op');
    expect(lifecycle(t1.names())).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart', 'OnConnecting', 'OnConnectSuccess', 'OnSyncServerFinish']);
  });

  it('a quarantine closes an open sync with OnSyncServerFailed before OnConnectFailed', async () => {
    const { supervisor } = makeSupervisor({ restartIntensity: 0 });
    const t1 = fakeClient('quar-sync');
    await supervisor.login(t1, 'op');
    await supervisor.call(t1, 'Emit', ['OnSyncServerStart', 1], 'op');
    supervisor.fault('quar-sync', 5, 'exit');
    await t1.waitFor('OnConnectFailed');
    expect(lifecycle(t1.names())).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart', 'OnConnecting', 'OnSyncServerFailed', 'OnConnectFailed']);
    expect(t1.events.find((e) => e.event === 'OnSyncServerFailed')!.errCode).toBe(20011);
  });
});

describe('a dropped tab that comes back (same resumeKey)', () => {
  it('gets what it missed, once, then the connection facts; a new client instance gets the facts only', async () => {
    const { supervisor } = makeSupervisor({ idleGraceMs: 5_000 });
    const other = fakeClient('resume');
    const first = Object.assign(fakeClient('resume'), { resumeKey: 'op-1' });
    await supervisor.login(other, 'op');
    await supervisor.login(first, 'op');
    supervisor.detach(first);
    await supervisor.call(other, 'Emit', ['OnConversationChanged', 2], 'op');
    const back = Object.assign(fakeClient('resume'), { resumeKey: 'op-1' });
    await supervisor.login(back, 'op');
    expect(back.names()).toEqual(['OnConversationChanged', 'OnConversationChanged', 'OnConnectSuccess']);
    const reload = Object.assign(fakeClient('resume'), { resumeKey: 'op-2' });
    await supervisor.login(reload, 'op');
    expect(reload.names()).toEqual(['OnConnectSuccess']);
  });

  it('gets first what its socket never took before the drop', async () => {
    const { supervisor } = makeSupervisor({ idleGraceMs: 5_000 });
    const other = fakeClient('unsent');
    await supervisor.login(other, 'op');
    const lost = { event: 'OnRecvNewMessages', data: '[1]', errCode: 0, errMsg: '' };
    const first = Object.assign(fakeClient('unsent'), { resumeKey: 'op-1', undelivered: () => [lost] });
    await supervisor.login(first, 'op');
    supervisor.detach(first);
    await supervisor.call(other, 'Emit', ['OnConversationChanged', 1], 'op');
    const back = Object.assign(fakeClient('unsent'), { resumeKey: 'op-1' });
    await supervisor.login(back, 'op');
    expect(back.names()).toEqual(['OnRecvNewMessages', 'OnConversationChanged', 'OnConnectSuccess']);
  });

  it('leaves a live connection with the same key alone (the key is the client\'s choice)', async () => {
    const { supervisor } = makeSupervisor();
    const one = Object.assign(fakeClient('same-key'), { resumeKey: 'op-1' });
    const two = Object.assign(fakeClient('same-key'), { resumeKey: 'op-1' });
    await supervisor.login(one, 'op');
    await supervisor.login(two, 'op');
    expect(one.closed).toBeNull();
    expect(supervisor.get('same-key', 5)!.connections).toBe(2);
    expect(two.names()).toEqual(['OnConnectSuccess']);
  });
});

describe('the echo of a send', () => {
  it('reaches the other tabs and not the tab that sent it; with the sender gone, every tab', async () => {
    const { supervisor } = makeSupervisor();
    const [t1, t2, t3] = [fakeClient('echo'), fakeClient('echo'), fakeClient('echo')];
    for (const t of [t1, t2, t3]) await supervisor.login(t, 'op');
    await supervisor.call(t1, 'SendMessageNotOss', [{ clientMsgID: 'm1' }, 'bob', '', null, false], 'op');
    await t2.waitFor('OnRecvNewMessages');
    await t3.waitFor('OnRecvNewMessages');
    expect(t1.names()).not.toContain('OnRecvNewMessages');

    await supervisor.call(t2, 'SendMessageNotOss', [{ clientMsgID: 'm2' }, 'bob', '', null, false], 'op');
    supervisor.detach(t2);
    await t3.waitFor((e) => e.event === 'OnRecvNewMessages' && e.data.includes('m2'));
    await t1.waitFor((e) => e.event === 'OnRecvNewMessages' && e.data.includes('m2'));
    expect(t2.events.filter((e) => e.event === 'OnRecvNewMessages').map((e) => e.data)).toEqual(['[{"clientMsgID":"m1"}]']);
  });
});
