// A tab that attaches to a running session (a second tab, a reload, the client's own reconnect
// after a dropped link, all within the idle grace) is told where the session's connection and
// sync stand: OnConnectSuccess exactly once (OnConnecting first while the core is still
// connecting), OnSyncServerStart/OnSyncServerFinish as a pair when it joins during a sync. Tabs
// already attached hear nothing twice. Real open-im-sdk@3.5.2 clients, the real core.

import type { OpenIMSDK } from 'open-im-sdk';
import { CallbackLog, dropSdk, fastReconnect, newSdk, settle, until } from '../helpers/client.ts';
import type { Stack } from '../helpers/gateway.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';

let stack: Stack;
let clientLink: TcpProxy;
const open: OpenIMSDK[] = [];

test.override('stackSetup', { overrides: { idleGraceMs: 30_000 }, options: { proxyIm: true } });
test.beforeAll(async ({ stack: s }) => {
  stack = s;
  clientLink = await startTcpProxy(stack.gateway.address.port);
}, 30_000);

test.afterAll(async () => {
  for (const s of open) dropSdk(s);
  await clientLink?.close();
});

interface Tab {
  readonly sdk: OpenIMSDK;
  readonly log: CallbackLog;
}

async function tab(userID: string, wsAddr = stack.gateway.url): Promise<Tab> {
  const sdk = newSdk();
  open.push(sdk);
  const log = new CallbackLog(sdk);
  const { ok, res } = await settle(sdk.login({ userID, token: await stack.token(userID), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr }), 20_000);
  expect(ok, JSON.stringify(res)).toBe(true);
  return { sdk, log };
}

/** A round trip on every tab, then a pause: whatever was on its way has arrived. */
async function quiet(...tabs: Tab[]): Promise<void> {
  for (const t of tabs) await until(t.sdk.getLoginStatus(), 10_000, 'GetLoginStatus');
  await new Promise((r) => setTimeout(r, 300));
}

const lifecycle = (t: Tab, from = 0): string[] => t.log.names(from).filter((n) => n.startsWith('OnConnect') || n.startsWith('OnSyncServer'));

async function connections(userID: string, n: number): Promise<void> {
  await expect.poll(() => stack.gateway.supervisor.get(userID, 5)?.connections, { timeout: 10_000, interval: 20, message: `${userID} to have ${n} connection(s)` }).toBe(n);
}

describe('a tab that attaches to a running session', () => {
  test('a second tab gets OnConnectSuccess once; the first tab gets no second one', async () => {
    const t1 = await tab('ra-second');
    await t1.log.waitFor('OnSyncServerFinish');
    const before = t1.log.heard.length;
    const t2 = await tab('ra-second');
    await t2.log.waitFor('OnConnectSuccess', undefined, 5_000);
    await quiet(t1, t2);
    expect(lifecycle(t2)).toEqual(['OnConnectSuccess']);
    expect(lifecycle(t1, before)).toEqual([]);
  });

  test('a reload within the idle grace gets OnConnectSuccess once, from the same warm core', async () => {
    const t1 = await tab('ra-reload');
    await t1.log.waitFor('OnSyncServerFinish');
    const threadId = stack.gateway.supervisor.get('ra-reload', 5)!.threadId;
    dropSdk(t1.sdk);
    await connections('ra-reload', 0);
    const t2 = await tab('ra-reload');
    await t2.log.waitFor('OnConnectSuccess', undefined, 5_000);
    await quiet(t2);
    expect(lifecycle(t2)).toEqual(['OnConnectSuccess']);
    expect(stack.gateway.supervisor.get('ra-reload', 5)!.threadId).toBe(threadId);
  });

  test('a client whose link dropped without a close frame reconnects: OnConnectSuccess once more, and what it missed meanwhile, once', async () => {
    await stack.token('ra-sender');
    const t1 = await tab('ra-drop', clientLink.url('ws'));
    fastReconnect(t1.sdk, 1_000);
    await t1.log.waitFor('OnSyncServerFinish');
    const from = t1.log.heard.length;
    expect(clientLink.cut('ra-drop')).toBe(1);
    await connections('ra-drop', 0);
    // Sent while the client is away: its session's core gets it, the tab is not there.
    const away = await stack.im.sendText('ra-sender', { recvID: 'ra-drop' }, 'while you were away');
    await t1.log.waitFor('OnConnectSuccess', undefined, 10_000, from);
    await connections('ra-drop', 1);
    const after = await stack.im.sendText('ra-sender', { recvID: 'ra-drop' }, 'after you came back');
    await t1.log.waitFor('OnRecvNewMessages', (ms: Array<{ clientMsgID: string }>) => ms.some((m) => m.clientMsgID === after.clientMsgID), 10_000, from);
    await quiet(t1);
    expect(lifecycle(t1, from)).toEqual(['OnConnectSuccess']);
    const got = t1.log.heard.slice(from).filter((h) => h.event === 'OnRecvNewMessages').flatMap((h) => (h.data as Array<{ clientMsgID: string }>).map((m) => m.clientMsgID));
    expect(got).toEqual([away.clientMsgID, after.clientMsgID]);
  });

  test('a tab that joins during a sync gets OnConnectSuccess, then OnSyncServerStart and OnSyncServerFinish as a pair', async () => {
    const t1 = await tab('ra-sync');
    await t1.log.waitFor('OnSyncServerFinish');
    const from = t1.log.heard.length;
    // Hold the core's REST requests, then cut its long connection: it reconnects and its sync
    // hangs on the first request, so the second tab joins while the sync runs.
    stack.imProxy!.api.stalled = true;
    try {
      stack.imProxy!.ws.cut('ra-sync');
      await t1.log.waitFor('OnSyncServerStart', undefined, 10_000, from);
      const t2 = await tab('ra-sync');
      await t2.log.waitFor('OnSyncServerStart', undefined, 5_000);
      expect(lifecycle(t2)).toEqual(['OnConnectSuccess', 'OnSyncServerStart']);
      stack.imProxy!.api.stalled = false;
      await t2.log.waitFor('OnSyncServerFinish', undefined, 10_000);
      await quiet(t1, t2);
      expect(lifecycle(t2)).toEqual(['OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish']);
      expect(lifecycle(t1, from)).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish']);
    } finally {
      stack.imProxy!.api.stalled = false;
    }
  });

  test('a tab that joins while the core is connecting gets that, then OnConnectSuccess once', async () => {
    const t1 = await tab('ra-connecting');
    await t1.log.waitFor('OnSyncServerFinish');
    const from = t1.log.heard.length;
    // The IM server's message gateway refuses connections: the core keeps redialling.
    stack.imProxy!.ws.paused = true;
    try {
      stack.imProxy!.ws.cut('ra-connecting');
      await t1.log.waitFor('OnConnecting', undefined, 10_000, from);
      const t2 = await tab('ra-connecting');
      const first = lifecycle(t2)[0];
      // The last connection callback the other tabs heard: connecting, or its failed attempt.
      expect(['OnConnecting', 'OnConnectFailed']).toContain(first);
      stack.imProxy!.ws.paused = false;
      await t2.log.waitFor('OnSyncServerFinish', undefined, 20_000);
      await quiet(t1, t2);
      const seen = lifecycle(t2);
      expect(seen.filter((n) => n === 'OnConnectSuccess')).toHaveLength(1);
      expect(seen.slice(seen.indexOf('OnConnectSuccess'))).toEqual(['OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish']);
      expect(lifecycle(t1, from).filter((n) => n === 'OnConnectSuccess')).toHaveLength(1);
    } finally {
      stack.imProxy!.ws.paused = false;
    }
  }, 40_000);
});

