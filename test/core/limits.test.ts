// The OpenIM server's limits are refused up front (issue 9): an oversized message answers 10290
// LimitExceeded before anything is stored or sent, and nothing else of the user fails (upstream
// the message gateway would close the connection and fail every request in flight on it). Lists
// over the server's 1,000 IDs are refused; a long subscription list is split into frames that fit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkCode } from '../../src/core/errors.ts';
import { MAX_IDS_PER_REQUEST } from '../../src/core/limits.ts';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let quinn: TestCore;
const conv = 'si_quinn_rita';

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-limits-');
  await im.register('quinn', 'Quinn');
  await im.register('rita', 'Rita');
  quinn = new TestCore('quinn', db.dir, im);
  const from = quinn.events.length;
  await quinn.call('Login', 'quinn', await im.userToken('quinn'));
  await quinn.waitFor('OnSyncServerFinish', undefined, 8000, from);
});

afterAll(async () => {
  await quinn?.core.close('drain');
  await im?.close();
  db?.cleanup();
});

const sendText = async (text: string) => quinn.call('SendMessageNotOss', await quinn.call('CreateTextMessage', text), 'rita', '', undefined, false);

describe('the message gateway frame limit (51,200 bytes)', () => {
  it('refuses a 60,000-character text with 10290 before storing it, while 10 concurrent sends all succeed on the same connection', async () => {
    const big = await quinn.call('CreateTextMessage', 'x'.repeat(60_000));
    const connectingBefore = quinn.count('OnConnecting');
    const [oversized, ...normal] = await Promise.allSettled([
      quinn.call('SendMessageNotOss', big, 'rita', '', undefined, false),
      ...Array.from({ length: 10 }, (_, i) => sendText(`normal ${i}`)),
    ]);
    expect(oversized.status).toBe('rejected');
    expect((oversized as PromiseRejectedResult).reason).toMatchObject({ code: SdkCode.LimitExceeded, message: expect.stringMatching(/51200/) });
    for (const r of normal) expect(r.status, JSON.stringify(r)).toBe('fulfilled');
    expect(quinn.count('OnConnecting')).toBe(connectingBefore); // the connection was never dropped
    expect((await quinn.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [big.clientMsgID] }])).totalCount).toBe(0);
    expect((await im.history('rita', conv)).length).toBe(10);
  });

  it('counts bytes, not characters: 20,000 three-byte characters are refused, 30,000 ASCII ones are sent', async () => {
    await expect(sendText('漢'.repeat(20_000))).rejects.toMatchObject({ code: SdkCode.LimitExceeded });
    await expect(sendText('y'.repeat(30_000))).resolves.toMatchObject({ status: 2 });
  });

  it('splits a long SubscribeUsersStatus list into frames that fit instead of losing the connection', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `someone-with-a-fairly-long-user-id-${String(i).padStart(5, '0')}`);
    const connectingBefore = quinn.count('OnConnecting');
    const states = await quinn.call<unknown[]>('SubscribeUsersStatus', ids);
    expect(states).toHaveLength(2_000);
    expect(quinn.count('OnConnecting')).toBe(connectingBefore);
    expect(await quinn.call('UnsubscribeUsersStatus', ids)).toBe('');
  });
});

describe('the server\'s 1,000 user IDs per group request', () => {
  const tooMany = Array.from({ length: MAX_IDS_PER_REQUEST + 1 }, (_, i) => `u${i}`);

  it('refuses CreateGroup, InviteUserToGroup and KickGroupMember over the limit without asking the server', async () => {
    const before = (await im.requestLog()).length;
    await expect(quinn.call('CreateGroup', { groupInfo: { groupName: 'big' }, memberUserIDs: tooMany })).rejects.toMatchObject({ code: SdkCode.LimitExceeded });
    await expect(quinn.call('InviteUserToGroup', 'g', 'r', tooMany)).rejects.toMatchObject({ code: SdkCode.LimitExceeded });
    await expect(quinn.call('KickGroupMember', 'g', 'r', tooMany)).rejects.toMatchObject({ code: SdkCode.LimitExceeded });
    const routes = (await im.requestLog()).slice(before).map((e) => e.route);
    expect(routes.filter((r) => r.startsWith('/group/'))).toEqual([]);
  });
});
