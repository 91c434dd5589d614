// The whole product path: open-im-sdk@3.5.2 → gateway → supervisor → worker running the real SDK
// core → embedded IM server. A message alice sends reaches both of bob's tabs as
// OnRecvNewMessages; carol, logged in on the same gateway, receives nothing.

import { CbEvents } from 'open-im-sdk';
import { answer, dropSdk, type SdkResponse, settle } from '../helpers/client.ts';
import type { Stack } from '../helpers/gateway.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

let stack: Stack;
test.beforeAll(({ stack: s }) => {
  stack = s;
});

const sdkFor = (userID: string) => loggedInSdk(stack, userID);

describe('messaging with the real core', () => {
  test('delivers to both tabs of the recipient and to no one else', async () => {
    const alice = await sdkFor('m-alice');
    const bob1 = await sdkFor('m-bob');
    const bob2 = await sdkFor('m-bob');
    const carol = await sdkFor('m-carol');
    const seen = new Map<string, SdkResponse[]>();
    for (const [name, sdk] of [['bob1', bob1], ['bob2', bob2], ['carol', carol]] as const) {
      const list: SdkResponse[] = [];
      seen.set(name, list);
      sdk.on(CbEvents.OnRecvNewMessages, (e) => list.push(e));
    }

    const created = await answer(alice.createTextMessage('hi bob'));
    expect(created.errCode).toBe(0);
    const sent = await settle(alice.sendMessage({ recvID: 'm-bob', groupID: '', message: created.data as never }), 20_000);
    expect(sent.ok, JSON.stringify(sent.res)).toBe(true);

    const got = (name: string) => (seen.get(name) ?? []).flatMap((e) => e.data as Array<{ textElem?: { content: string }; sendID: string }>);
    await expect.poll(() => got('bob1').length > 0 && got('bob2').length > 0, { timeout: 15_000, interval: 20, message: 'OnRecvNewMessages on both tabs' }).toBe(true);
    for (const tab of ['bob1', 'bob2']) expect(got(tab)).toEqual([expect.objectContaining({ sendID: 'm-alice', textElem: { content: 'hi bob' } })]);

    // A call round trip on carol's socket, then nothing may have arrived for her.
    expect((await answer(carol.getTotalUnreadMsgCount())).errCode).toBe(0);
    expect(got('carol')).toEqual([]);
    for (const s of [alice, bob1, bob2, carol]) dropSdk(s);
  }, 60_000);
});
