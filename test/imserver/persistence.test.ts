// Data survives a restart on the same data dir: users, tokens, messages, seqs, read state,
// friends, blacks, groups and version logs.

import { PbCoder } from '@openim/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg } from './wsclient.ts';

const CONV = 'si_pat_quinn';

describe('persistence across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdkgate-im-persist-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps users, tokens, messages, seqs and hasReadSeq', async () => {
    const first = await startTestIm({ dataDir });
    await first.register('pat', 'Pat');
    await first.register('quinn');
    const patToken = await first.userToken('pat');
    const quinnToken = await first.userToken('quinn');
    const { client: pat } = await connect(first.wsAddress, { userID: 'pat', token: patToken });
    for (const text of ['one', 'two', 'three']) expect((await pat.request(1003, encodeMsg(textMsg('pat', 'quinn', text)))).errCode).toBe(0);
    await imPost(first.apiAddress, '/msg/mark_conversation_as_read', { conversationID: CONV, userID: 'quinn', hasReadSeq: 2, seqs: [1, 2] }, quinnToken);
    pat.close();
    await first.close();

    const second = await startTestIm({ dataDir });
    try {
      // The same tokens still work: token states are stored, not held in memory.
      const info = await imPost<{ usersInfo: { nickname: string }[] }>(second.apiAddress, '/user/get_users_info', { userIDs: ['pat'] }, patToken);
      expect(info.usersInfo[0]!.nickname).toBe('Pat');
      const { client: quinn, first: hello } = await connect(second.wsAddress, { userID: 'quinn', token: quinnToken });
      expect(hello?.errCode).toBe(0);

      const seqs = decodeData(
        PbCoder.GetConversationsHasReadAndMaxSeqResp,
        await quinn.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'quinn', conversationIDs: [] }).finish()),
      ).seqs;
      expect(seqs[CONV]).toMatchObject({ maxSeq: 3, hasReadSeq: 2 });

      const pulled = decodeData(
        PbCoder.PullMessageBySeqsResp,
        await quinn.request(1002, PbCoder.PullMessageBySeqsReq.encode({ userID: 'quinn', seqRanges: [{ conversationID: CONV, begin: 1, end: 3, num: 10 }], order: 0 }).finish()),
      );
      expect(pulled.msgs[CONV]!.Msgs.map((m) => JSON.parse(Buffer.from(m.content).toString()).content)).toEqual(['one', 'two', 'three']);
      expect(pulled.msgs[CONV]!.Msgs.map((m) => m.isRead)).toEqual([true, true, false]);

      // Seqs continue where they stopped.
      const op = 'op-after-restart';
      expect((await quinn.request(1003, encodeMsg(textMsg('quinn', 'pat', 'four')), { operationID: op })).errCode).toBe(0);
      const push = await quinn.waitFor(() => quinn.pushes().find((f) => f.operationID === op), 'echo');
      expect(decodeData(PbCoder.PushMessages, push).msgs[CONV]!.Msgs[0]!.seq).toBe(4);
      quinn.close();
    } finally {
      await second.close();
    }
  });

  it('keeps friends, blacks, groups, members and their version logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdkgate-im-persist-rel-'));
    try {
      const first = await startTestIm({ dataDir: dir });
      for (const u of ['ann', 'ben', 'cid']) await first.register(u);
      const admin = await first.adminToken();
      const ann = await first.userToken('ann');
      await imPost(first.apiAddress, '/friend/import_friend', { ownerUserID: 'ann', friendUserIDs: ['ben'] }, admin);
      await imPost(first.apiAddress, '/friend/add_black', { ownerUserID: 'ann', blackUserID: 'cid' }, ann);
      const { groupInfo } = await imPost<{ groupInfo: { groupID: string } }>(
        first.apiAddress,
        '/group/create_group',
        { ownerUserID: 'ann', memberUserIDs: ['ben'], groupInfo: { groupType: 2, groupName: 'kept' } },
        ann,
      );
      const friendsV = await imPost<{ versionID: string; version: number }>(first.apiAddress, '/friend/get_full_friend_user_ids', { userID: 'ann', idHash: 0 }, ann);
      await first.close();

      const second = await startTestIm({ dataDir: dir });
      try {
        const f = await imPost<{ versionID: string; version: number; full: boolean }>(
          second.apiAddress,
          '/friend/get_incremental_friends',
          { userID: 'ann', versionID: friendsV.versionID, version: friendsV.version },
          ann,
        );
        expect(f).toMatchObject({ full: false, versionID: friendsV.versionID, version: friendsV.version });
        expect(await imPost(second.apiAddress, '/friend/is_friend', { userID1: 'ann', userID2: 'ben' }, ann)).toEqual({ inUser1Friends: true, inUser2Friends: true });
        expect(await imPost(second.apiAddress, '/friend/get_black_list', { userID: 'ann' }, ann)).toMatchObject({ total: 1 });
        const g = await imPost<{ groupInfos: { groupName: string; memberCount: number }[] }>(second.apiAddress, '/group/get_groups_info', { groupIDs: [groupInfo.groupID] }, ann);
        expect(g.groupInfos[0]).toMatchObject({ groupName: 'kept', memberCount: 2 });
        // The group's seqs continue too.
        const ben = await second.userToken('ben');
        const { client } = await connect(second.wsAddress, { userID: 'ben', token: ben });
        const m = textMsg('ben', '', 'after restart', { groupID: groupInfo.groupID, sessionType: 3 });
        expect((await client.request(1003, encodeMsg(m), { operationID: 'op-g' })).errCode).toBe(0);
        const push = await client.waitFor(() => client.pushes().find((fr) => fr.operationID === 'op-g'), 'group echo');
        expect(decodeData(PbCoder.PushMessages, push).msgs[`sg_${groupInfo.groupID}`]!.Msgs[0]!.seq).toBe(2);
        client.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second server on a data dir that is in use', async () => {
    const running = await startTestIm({ dataDir });
    try {
      await expect(startTestIm({ dataDir })).rejects.toThrow(/in use by another IM server/);
    } finally {
      await running.close();
    }
    const again = await startTestIm({ dataDir });
    await again.close();
  });
});
