// Tabs of one session see one live history: a message sent from tab 1 reaches tab 2 as
// OnRecvNewMessages exactly once, as another device of the same user would see it (sendID =
// self), in seq order with what others write meanwhile; tab 1 does not get its own message back
// as new. Real open-im-sdk@3.5.2 clients, the real core.

import type { MessageItem, OpenIMSDK } from 'open-im-sdk';
import { answer, CallbackLog, dropSdk, newSdk, settle, until } from '../helpers/client.ts';
import type { Stack } from '../helpers/gateway.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';

let stack: Stack;
const open: OpenIMSDK[] = [];

test.beforeAll(({ stack: s }) => {
  stack = s;
});

test.afterAll(() => {
  for (const s of open) dropSdk(s);
});

interface Tab {
  readonly sdk: OpenIMSDK;
  readonly log: CallbackLog;
}

/** `joining`: the user's session already runs and is synced (this is its second tab). */
async function tab(userID: string, joining = false): Promise<Tab> {
  const sdk = newSdk();
  open.push(sdk);
  const log = new CallbackLog(sdk);
  const { ok, res } = await settle(sdk.login({ userID, token: await stack.token(userID), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 20_000);
  expect(ok, JSON.stringify(res)).toBe(true);
  // A tab that joins a synced session is told OnConnectSuccess only.
  await log.waitFor(joining ? 'OnConnectSuccess' : 'OnSyncServerFinish');
  return { sdk, log };
}

async function send(from: Tab, to: { recvID?: string; groupID?: string }, text: string): Promise<MessageItem> {
  const created = (await answer<MessageItem>(from.sdk.createTextMessage(text))).data;
  const r = await settle(from.sdk.sendMessage({ recvID: to.recvID ?? '', groupID: to.groupID ?? '', message: created }), 15_000);
  expect(r.ok, JSON.stringify(r.res)).toBe(true);
  return r.res.data as MessageItem;
}

/** Every message a tab got as new, in arrival order. */
const received = (t: Tab): MessageItem[] => t.log.heard.filter((h) => h.event === 'OnRecvNewMessages').flatMap((h) => h.data as MessageItem[]);

async function quiet(...tabs: Tab[]): Promise<void> {
  for (const t of tabs) await until(t.sdk.getLoginStatus(), 10_000, 'GetLoginStatus');
  await new Promise((r) => setTimeout(r, 300));
}

async function gotAll(t: Tab, ids: string[]): Promise<void> {
  await expect.poll(() => ids.every((id) => received(t).some((m) => m.clientMsgID === id)), { timeout: 15_000, interval: 20, message: `${ids.length} messages as new` }).toBe(true);
}

describe('tabs of one session', () => {
  test('a message sent from one tab reaches the other tab as new exactly once, and not the sender', async () => {
    const a1 = await tab('tb-alice');
    const a2 = await tab('tb-alice', true);
    const bob = await tab('tb-bob');
    const sent = await send(a1, { recvID: 'tb-bob' }, 'from tab 1');
    await gotAll(a2, [sent.clientMsgID]);
    await gotAll(bob, [sent.clientMsgID]);
    await quiet(a1, a2, bob);
    const echo = received(a2).filter((m) => m.clientMsgID === sent.clientMsgID);
    expect(echo).toHaveLength(1);
    expect(echo[0]).toMatchObject({ sendID: 'tb-alice', recvID: 'tb-bob', status: 2, textElem: { content: 'from tab 1' } });
    expect(echo[0]!.seq).toBeGreaterThan(0);
    expect(received(a1).filter((m) => m.clientMsgID === sent.clientMsgID)).toEqual([]);
  });

  test('group messages too, and in seq order with what others write meanwhile', async () => {
    const c1 = await tab('tb-carol');
    const c2 = await tab('tb-carol', true);
    const dan = await tab('tb-dan');
    const groupID = await stack.im.createGroup('tb-carol', ['tb-dan']);
    await c2.log.waitFor('OnJoinedGroupAdded', (g: { groupID: string }) => g.groupID === groupID);
    await dan.log.waitFor('OnJoinedGroupAdded', (g: { groupID: string }) => g.groupID === groupID);
    const [mine, theirs] = await Promise.all([
      (async () => { const out = []; for (let i = 0; i < 5; i++) out.push(await send(c1, { groupID }, `carol ${i}`)); return out; })(),
      (async () => { const out = []; for (let i = 0; i < 5; i++) out.push(await send(dan, { groupID }, `dan ${i}`)); return out; })(),
    ]);
    const all = [...mine, ...theirs].map((m) => m.clientMsgID);
    await gotAll(c2, all);
    await quiet(c1, c2, dan);
    // Text messages only: the group's creation arrives as a notification message too.
    const inGroup = received(c2).filter((m) => m.groupID === groupID && m.contentType === 101);
    expect(inGroup.map((m) => m.clientMsgID).sort()).toEqual([...all].sort());
    const seqs = inGroup.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    // The sending tab got dan's messages as new, and none of its own.
    expect(received(c1).filter((m) => m.groupID === groupID && m.contentType === 101).map((m) => m.sendID)).toEqual(theirs.map(() => 'tb-dan'));
  });
});
