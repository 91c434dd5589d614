// REST envelope and routes, checked field by field against docs/protocol.md "REST conventions".

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type TestClient } from './wsclient.ts';

const CONV = 'si_rita_sam';

describe('REST envelope and routes', () => {
  let im: TestIm;
  let rita: string;
  let sam: string;
  let samWs: TestClient;

  async function rawPost(path: string, body: unknown, token: string, headers: Record<string, string> = {}) {
    const res = await fetch(im.apiAddress + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', operationID: 'op-env', token, ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  beforeAll(async () => {
    im = await startTestIm();
    await im.register('rita', 'Rita');
    await im.register('sam', 'Sam');
    rita = await im.userToken('rita');
    sam = await im.userToken('sam');
    ({ client: samWs } = await connect(im.wsAddress, { userID: 'sam', token: sam }));
    const { client: ritaWs } = await connect(im.wsAddress, { userID: 'rita', token: rita });
    for (const t of ['a', 'b', 'c']) expect((await ritaWs.request(1003, encodeMsg(textMsg('rita', 'sam', t)))).errCode).toBe(0);
    ritaWs.close();
  });
  afterAll(async () => {
    samWs?.close();
    await im?.close();
  });

  it('a response with data is exactly {errCode, errMsg, errDlt, data} with HTTP 200 and CORS', async () => {
    const r = await rawPost('/msg/get_server_time', {}, rita);
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const env = JSON.parse(r.text) as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(['errCode', 'errMsg', 'errDlt', 'data']);
    expect(env.errCode).toBe(0);
    expect(env.errMsg).toBe('');
    expect(env.errDlt).toBe('');
    expect(Math.abs((env.data as { serverTime: number }).serverTime - Date.now())).toBeLessThan(60_000);
  });

  it('an empty response omits data entirely', async () => {
    const r = await rawPost('/user/update_user_info_ex', { userInfo: { userID: 'rita', ex: 'x1' } }, rita);
    expect(r.text).toBe('{"errCode":0,"errMsg":"","errDlt":""}');
  });

  it('an error has no data and HTTP 200', async () => {
    const r = await rawPost('/user/get_users_info', { userIDs: [] }, rita);
    expect(r.status).toBe(200);
    const env = JSON.parse(r.text) as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(['errCode', 'errMsg', 'errDlt']);
    expect(env).toMatchObject({ errCode: 1001, errMsg: 'ArgsError', errDlt: 'userIDs is empty' });
  });

  it('answers OPTIONS preflights with 200 and permissive CORS headers', async () => {
    const res = await fetch(im.apiAddress + '/user/get_users_info', { method: 'OPTIONS', signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('*');
    expect(await res.json()).toBe('Options Request!');
  });

  it('gzips large responses when asked', async () => {
    const res = await fetch(im.apiAddress + '/msg/pull_msg_by_seq', {
      method: 'POST',
      headers: { operationID: 'op', token: sam, 'Accept-Encoding': 'gzip' },
      body: JSON.stringify({ userID: 'sam', seqRanges: [{ conversationID: CONV, begin: 1, end: 3, num: 3 }] }),
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(((await res.json()) as { errCode: number }).errCode).toBe(0);
  });

  it('auth routes answer their documented fields', async () => {
    const admin = await im.adminToken();
    const t = await imPost<Record<string, unknown>>(im.apiAddress, '/auth/get_user_token', { userID: 'rita', platformID: 2 }, admin);
    expect(Object.keys(t).sort()).toEqual(['expireTimeSeconds', 'token']);
    expect(t.expireTimeSeconds).toBe(90 * 24 * 3600);
    const parsed = await imPost<Record<string, unknown>>(im.apiAddress, '/auth/parse_token', { token: t.token });
    expect(parsed.userID).toBe('rita');
    expect(parsed.platformID).toBe(2);
    expect(parsed.expireTimeSeconds as number).toBeGreaterThan(Date.now() / 1000 + 89 * 24 * 3600);
    await expect(imPost(im.apiAddress, '/auth/get_user_token', { userID: 'nobody', platformID: 5 }, admin)).rejects.toMatchObject({ errCode: 1101 });
    await expect(imPost(im.apiAddress, '/auth/get_user_token', { userID: 'rita', platformID: 10 }, admin)).rejects.toMatchObject({ errCode: 1001 });
  });

  it('user routes: get_users_info skips unknown IDs; update_user_info_ex honours wrappers and notifies 1303', async () => {
    const { client: self } = await connect(im.wsAddress, { userID: 'rita', token: rita });
    await imPost(im.apiAddress, '/user/update_user_info_ex', { userInfo: { userID: 'rita', nickname: 'Rita R', faceURL: null } }, rita);
    const info = await imPost<{ usersInfo: Record<string, unknown>[] }>(im.apiAddress, '/user/get_users_info', { userIDs: ['rita', 'ghost'] }, sam);
    expect(info.usersInfo).toHaveLength(1);
    expect(info.usersInfo[0]).toMatchObject({ userID: 'rita', nickname: 'Rita R', faceURL: '', ex: 'x1', appMangerLevel: 1, globalRecvMsgOpt: 0 });
    expect(Object.keys(info.usersInfo[0]!).sort()).toEqual(['appMangerLevel', 'createTime', 'ex', 'faceURL', 'globalRecvMsgOpt', 'nickname', 'userID']);
    const n = await self.waitFor(
      () => self.pushes().map((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs['n_rita_rita']?.Msgs[0]).find((m) => m?.contentType === 1303),
      '1303',
    );
    expect(n.seq).toBe(0);
    await imPost(im.apiAddress, '/user/set_global_msg_recv_opt', { userID: 'rita', globalRecvMsgOpt: 2 }, rita);
    const again = await imPost<{ usersInfo: { globalRecvMsgOpt: number }[] }>(im.apiAddress, '/user/get_users_info', { userIDs: ['rita'] }, rita);
    expect(again.usersInfo[0]!.globalRecvMsgOpt).toBe(2);
    self.close();
  });

  it('conversation routes: lazily created documents with the proto field set', async () => {
    const all = await imPost<{ conversations: Record<string, unknown>[] }>(im.apiAddress, '/conversation/get_all_conversations', { ownerUserID: 'sam' }, sam);
    expect(all.conversations).toHaveLength(1);
    const c = all.conversations[0]!;
    expect(c).toMatchObject({ ownerUserID: 'sam', conversationID: CONV, conversationType: 1, userID: 'rita', groupID: '', recvMsgOpt: 0, isPinned: false });
    expect(Object.keys(c).sort()).toEqual(
      [
        'ownerUserID', 'conversationID', 'recvMsgOpt', 'conversationType', 'userID', 'groupID', 'isPinned', 'attachedInfo', 'isPrivateChat',
        'groupAtType', 'ex', 'burnDuration', 'minSeq', 'maxSeq', 'msgDestructTime', 'latestMsgDestructTime', 'isMsgDestruct',
      ].sort(),
    );
    const some = await imPost<{ conversations: unknown[] }>(im.apiAddress, '/conversation/get_conversations', { ownerUserID: 'sam', conversationIDs: [CONV, 'si_x_y'] }, sam);
    expect(some.conversations).toHaveLength(1);
  });

  it('set_conversations patches only the given fields, feeds not-notify/pinned lists and the version log', async () => {
    const inc0 = await imPost<Record<string, unknown>>(im.apiAddress, '/conversation/get_incremental_conversations', { userID: 'sam', versionID: '', version: 0 }, sam);
    expect(inc0).toMatchObject({ full: true, insert: [], update: [], delete: [] });
    expect(inc0.versionID).toMatch(/^[0-9a-f]{24}$/);
    const v0 = inc0.version as number;
    const same = await imPost<Record<string, unknown>>(im.apiAddress, '/conversation/get_incremental_conversations', { userID: 'sam', versionID: inc0.versionID, version: v0 }, sam);
    expect(same).toMatchObject({ full: false, insert: [], update: [], delete: [], version: v0 });

    await imPost(
      im.apiAddress,
      '/conversation/set_conversations',
      { userIDs: ['sam'], conversation: { conversationID: CONV, conversationType: 1, userID: 'rita', groupID: '', recvMsgOpt: 2, isPinned: true } },
      sam,
    );
    const conv = (await imPost<{ conversations: Record<string, unknown>[] }>(im.apiAddress, '/conversation/get_all_conversations', { ownerUserID: 'sam' }, sam)).conversations[0]!;
    expect(conv).toMatchObject({ recvMsgOpt: 2, isPinned: true, ex: '', attachedInfo: '' });
    expect(await imPost(im.apiAddress, '/conversation/get_not_notify_conversation_ids', { userID: 'sam' }, sam)).toEqual({ conversationIDs: [CONV] });
    expect(await imPost(im.apiAddress, '/conversation/get_pinned_conversation_ids', { userID: 'sam' }, sam)).toEqual({ conversationIDs: [CONV] });

    const inc1 = await imPost<{ version: number; full: boolean; update: { conversationID: string }[]; insert: unknown[] }>(
      im.apiAddress,
      '/conversation/get_incremental_conversations',
      { userID: 'sam', versionID: inc0.versionID, version: v0 },
      sam,
    );
    expect(inc1.full).toBe(false);
    expect(inc1.version).toBe(v0 + 1);
    expect(inc1.insert).toEqual([]);
    expect(inc1.update.map((c) => c.conversationID)).toEqual([CONV]);

    const ids = await imPost<Record<string, unknown>>(im.apiAddress, '/conversation/get_full_conversation_ids', { userID: 'sam', idHash: 0 }, sam);
    expect(ids).toEqual({ version: v0 + 1, versionID: inc0.versionID, equal: false, conversationIDs: [CONV] });
    // Pushes of 1300 reach sam's connection.
    await samWs.waitFor(() => samWs.pushes().find((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs['n_sam_sam']?.Msgs[0]?.contentType === 1300), '1300');
  });

  it('msg routes: newest_seq, get_conversations_has_read_and_max_seq and pull_msg_by_seq (content base64)', async () => {
    expect(await imPost(im.apiAddress, '/msg/newest_seq', { userID: 'sam' }, sam)).toEqual({ maxSeqs: { [CONV]: 3 }, minSeqs: {} });
    const hr = await imPost<Record<string, unknown>>(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'sam', returnPinned: true }, sam);
    expect(hr).toMatchObject({ seqs: { [CONV]: { maxSeq: 3, hasReadSeq: 0 } }, pinnedConversationIDs: [CONV] });
    const pulled = await imPost<{ msgs: Record<string, { Msgs: Record<string, unknown>[]; isEnd: boolean }>; notificationMsgs: unknown }>(
      im.apiAddress,
      '/msg/pull_msg_by_seq',
      { userID: 'sam', seqRanges: [{ conversationID: CONV, begin: 1, end: 3, num: 2 }], order: 0 },
      sam,
    );
    expect(pulled.notificationMsgs).toEqual({});
    const msgs = pulled.msgs[CONV]!.Msgs;
    expect(msgs.map((m) => m.seq)).toEqual([2, 3]);
    expect(Buffer.from(msgs[0]!.content as string, 'base64').toString()).toBe('{"content":"b"}');
    expect(msgs[0]).toMatchObject({ sendID: 'rita', recvID: 'sam', sessionType: 1, contentType: 101, status: 2, offlinePushInfo: null, atUserIDList: [] });
    expect(msgs[0]).not.toHaveProperty('options');
  });

  it('jssdk routes answer protobuf requests with base64 protobuf data, and JSON requests with JSON', async () => {
    const body = PbCoder.GetActiveConversationsReq.encode({ ownerUserID: 'sam', count: 20 }).finish();
    const r = await rawPost('/jssdk/get_active_conversations', Buffer.from(body), sam, { 'Content-Type': 'application/x-protobuf' });
    const env = JSON.parse(r.text) as { errCode: number; data: string };
    expect(env.errCode).toBe(0);
    expect(typeof env.data).toBe('string');
    const resp = PbCoder.GetActiveConversationsResp.decode(Buffer.from(env.data, 'base64'));
    expect(resp.unreadCount).toBe(3);
    expect(resp.conversations).toHaveLength(1);
    const [item] = resp.conversations;
    expect(item).toMatchObject({ maxSeq: 3, readSeq: 0 });
    expect(item!.conversation).toMatchObject({ conversationID: CONV, ownerUserID: 'sam' });
    expect(item!.lastMsg).toMatchObject({ seq: 3, sendID: 'rita' });
    expect(item!.user).toMatchObject({ userID: 'rita', nickname: 'Rita R' });

    const byId = PbCoder.GetConversationsReq.encode({ ownerUserID: 'sam', conversationIDs: [CONV] }).finish();
    const r2 = JSON.parse((await rawPost('/jssdk/get_conversations', Buffer.from(byId), sam, { 'Content-Type': 'application/x-protobuf' })).text) as { data: string };
    expect(PbCoder.GetConversationsResp.decode(Buffer.from(r2.data, 'base64')).conversations[0]!.conversation!.conversationID).toBe(CONV);

    const json = await imPost<{ unreadCount: number; conversations: { lastMsg: { seq: number } }[] }>(im.apiAddress, '/jssdk/get_active_conversations', { ownerUserID: 'sam', count: 5 }, sam);
    expect(json.unreadCount).toBe(3);
    expect(json.conversations[0]!.lastMsg.seq).toBe(3);
  });

  it('send_msg (admin) stores the message and pushes it with the HTTP operationID', async () => {
    const admin = await im.adminToken();
    const res = await fetch(im.apiAddress + '/msg/send_msg', {
      method: 'POST',
      headers: { operationID: 'op-admin-send', token: admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sendID: 'rita', recvID: 'sam', senderPlatformID: 10, content: { content: 'from admin' }, contentType: 101, sessionType: 1 }),
    });
    const env = (await res.json()) as { errCode: number; data: Record<string, unknown> };
    expect(env.errCode).toBe(0);
    expect(Object.keys(env.data).sort()).toEqual(['clientMsgID', 'sendTime', 'serverMsgID']);
    const push = await samWs.waitFor(() => samWs.pushes().find((f) => f.operationID === 'op-admin-send'), 'admin push');
    const m = decodeData(PbCoder.PushMessages, push).msgs[CONV]!.Msgs[0]!;
    expect(m).toMatchObject({ seq: 4, sendID: 'rita', msgFrom: 200, serverMsgID: env.data.serverMsgID });
    // isOnlineOnly: pushed with seq 0, not stored, maxSeq unchanged.
    await fetch(im.apiAddress + '/msg/send_msg', {
      method: 'POST',
      headers: { operationID: 'op-admin-online', token: admin },
      body: JSON.stringify({ sendID: 'rita', recvID: 'sam', content: { content: 'online only' }, contentType: 101, sessionType: 1, isOnlineOnly: true }),
    });
    const online = await samWs.waitFor(() => samWs.pushes().find((f) => f.operationID === 'op-admin-online'), 'online-only push');
    expect(decodeData(PbCoder.PushMessages, online).msgs[CONV]!.Msgs[0]).toMatchObject({ seq: 0, options: expect.objectContaining({ history: false }) });
    expect(await imPost(im.apiAddress, '/msg/newest_seq', { userID: 'sam' }, sam)).toMatchObject({ maxSeqs: { [CONV]: 4 } });
    await expect(imPost(im.apiAddress, '/msg/send_msg', { sendID: 'rita', recvID: 'sam', content: {}, contentType: 999, sessionType: 1 }, admin)).rejects.toMatchObject({ errCode: 1001 });
    await expect(imPost(im.apiAddress, '/msg/send_msg', { sendID: 'rita', recvID: 'sam', content: { content: 'x' }, contentType: 101, sessionType: 1 }, rita)).rejects.toMatchObject({ errCode: 1002 });
  });

  it('delete_msgs hides messages for the caller only; clear_conversation_msg hides everything before it', async () => {
    await imPost(im.apiAddress, '/msg/delete_msgs', { conversationID: CONV, seqs: [1], userID: 'sam', deleteSyncOpt: { IsSyncSelf: true } }, sam);
    const pull = async (token: string, userID: string) =>
      (await imPost<{ msgs: Record<string, { Msgs: { seq: number; status: number }[] }> }>(
        im.apiAddress,
        '/msg/pull_msg_by_seq',
        { userID, seqRanges: [{ conversationID: CONV, begin: 1, end: 4, num: 10 }] },
        token,
      )).msgs[CONV]!.Msgs.map((m) => [m.seq, m.status]);
    expect(await pull(sam, 'sam')).toEqual([[1, 4], [2, 2], [3, 2], [4, 2]]);
    expect(await pull(rita, 'rita')).toEqual([[1, 2], [2, 2], [3, 2], [4, 2]]);
    await samWs.waitFor(() => samWs.pushes().find((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs['n_sam_sam']?.Msgs[0]?.contentType === 2102), '2102');

    await imPost(im.apiAddress, '/msg/clear_conversation_msg', { conversationIDs: [CONV], userID: 'sam' }, sam);
    expect(await pull(sam, 'sam')).toEqual([]);
    expect(await pull(rita, 'rita')).toHaveLength(4);
    const hr = await imPost<{ seqs: Record<string, { maxSeq: number; hasReadSeq: number }> }>(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'sam' }, sam);
    expect(hr.seqs[CONV]!.maxSeq - hr.seqs[CONV]!.hasReadSeq).toBe(0);
  });

  it('mark_msgs_as_read and set_conversation_has_read_seq move hasReadSeq; reads past maxSeq are refused', async () => {
    await imPost(im.apiAddress, '/msg/set_conversation_has_read_seq', { conversationID: CONV, userID: 'rita', hasReadSeq: 2 }, rita);
    let hr = await imPost<{ seqs: Record<string, { hasReadSeq: number }> }>(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'rita', conversationIDs: [CONV] }, rita);
    expect(hr.seqs[CONV]!.hasReadSeq).toBe(2);
    await imPost(im.apiAddress, '/msg/mark_msgs_as_read', { conversationID: CONV, userID: 'rita', seqs: [3] }, rita);
    hr = await imPost(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'rita', conversationIDs: [CONV] }, rita);
    expect(hr.seqs[CONV]!.hasReadSeq).toBe(3);
    await expect(
      imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: CONV, userID: 'rita', hasReadSeq: 99 }, rita),
    ).rejects.toMatchObject({ errCode: 1001 });
    await expect(
      imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: 'si_nope_x', userID: 'rita', hasReadSeq: 1 }, rita),
    ).rejects.toMatchObject({ errCode: 1004 });
  });

  it('set_conversations cannot create a document for a conversation the user is not in', async () => {
    await im.register('uma');
    const uma = await im.userToken('uma');
    const attempts = [
      { conversationID: CONV, conversationType: 1, userID: 'rita' },
      { conversationID: CONV, conversationType: 1, userID: 'sam' },
      { conversationID: 'sn_rita_sam', conversationType: 4, userID: 'sam' },
      { conversationID: 'si_uma_ghost', conversationType: 1, userID: 'ghost' },
    ];
    for (const conversation of attempts) {
      await expect(imPost(im.apiAddress, '/conversation/set_conversations', { userIDs: ['uma'], conversation: { ...conversation, isPinned: true } }, uma)).rejects.toMatchObject({
        errCode: 1001,
      });
    }
    await expect(
      imPost(im.apiAddress, '/conversation/set_conversations', { userIDs: ['uma'], conversation: { conversationID: 'sg_g1', conversationType: 3, groupID: 'g1' } }, uma),
    ).rejects.toMatchObject({ errCode: 1201 });
    const pulled = await imPost<{ msgs: Record<string, unknown> }>(im.apiAddress, '/msg/pull_msg_by_seq', { userID: 'uma', seqRanges: [{ conversationID: CONV, begin: 1, end: 9, num: 9 }] }, uma);
    expect(pulled.msgs).toEqual({});
    // Its own conversation with a real peer is fine before any message.
    await imPost(im.apiAddress, '/conversation/set_conversations', { userIDs: ['uma'], conversation: { conversationID: 'si_sam_uma', conversationType: 1, userID: 'sam', isPinned: true } }, uma);
    expect(await imPost(im.apiAddress, '/conversation/get_pinned_conversation_ids', { userID: 'uma' }, uma)).toEqual({ conversationIDs: ['si_sam_uma'] });
  });

  it('matches JSON keys case-insensitively and ignores unknown keys, as Go does', async () => {
    const r = await imPost<{ usersInfo: { userID: string }[] }>(im.apiAddress, '/user/get_users_info', { UserIDs: ['sam'], extra: 1 }, sam);
    expect(r.usersInfo.map((u) => u.userID)).toEqual(['sam']);
  });

  it('a new conversation shows up as an insert in the incremental sync', async () => {
    await im.register('tom');
    const tom = await im.userToken('tom');
    const base = await imPost<{ versionID: string; version: number }>(im.apiAddress, '/conversation/get_incremental_conversations', { userID: 'tom', versionID: '', version: 0 }, tom);
    const admin = await im.adminToken();
    await imPost(im.apiAddress, '/msg/send_msg', { sendID: 'rita', recvID: 'tom', content: { content: 'hi tom' }, contentType: 101, sessionType: 1 }, admin);
    const inc = await imPost<{ full: boolean; insert: { conversationID: string; userID: string }[]; update: unknown[] }>(
      im.apiAddress,
      '/conversation/get_incremental_conversations',
      { userID: 'tom', versionID: base.versionID, version: base.version },
      tom,
    );
    expect(inc.full).toBe(false);
    expect(inc.insert).toEqual([expect.objectContaining({ conversationID: 'si_rita_tom', userID: 'rita' })]);
    expect(inc.update).toEqual([]);
  });

  it('jssdk answers an undecodable protobuf body with 1001', async () => {
    const r = await rawPost('/jssdk/get_conversations', Buffer.from([0x12, 0x50, 0x01]), sam, { 'Content-Type': 'application/x-protobuf' });
    expect(JSON.parse(r.text)).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
  });

  it('friend and group login routes answer valid empty results', async () => {
    const f = await imPost<Record<string, unknown>>(im.apiAddress, '/friend/get_incremental_friends', { userID: 'sam', versionID: '', version: 0 }, sam);
    expect(f).toMatchObject({ full: true, insert: [], update: [], delete: [] });
    const f2 = await imPost<Record<string, unknown>>(im.apiAddress, '/friend/get_incremental_friends', { userID: 'sam', versionID: f.versionID, version: f.version }, sam);
    expect(f2.full).toBe(false);
    expect(await imPost(im.apiAddress, '/friend/get_full_friend_user_ids', { userID: 'sam', idHash: 0 }, sam)).toMatchObject({ equal: false, userIDs: [] });
    expect(await imPost(im.apiAddress, '/friend/get_friend_list', { userID: 'sam', pagination: { pageNumber: 1, showNumber: 100 } }, sam)).toEqual({ friendsInfo: [], total: 0 });
    expect(await imPost(im.apiAddress, '/group/get_incremental_join_groups', { userID: 'sam', versionID: '', version: 0 }, sam)).toMatchObject({ full: true });
    expect(await imPost(im.apiAddress, '/group/get_full_join_group_ids', { userID: 'sam', idHash: 0 }, sam)).toMatchObject({ groupIDs: [] });
    expect(await imPost(im.apiAddress, '/group/get_joined_group_list', { fromUserID: 'sam', pagination: { pageNumber: 1, showNumber: 10 } }, sam)).toEqual({ total: 0, groups: [] });
    expect(await imPost(im.apiAddress, '/group/get_incremental_group_members_batch', { userID: 'sam', reqList: [] }, sam)).toEqual({ respList: {} });
    await expect(imPost(im.apiAddress, '/friend/get_friend_list', { userID: 'rita' }, sam)).rejects.toMatchObject({ errCode: 1002 });
  });
});
