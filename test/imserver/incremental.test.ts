// Version ("incremental") sync for friends, blacks, joined groups and group members (docs/protocol.md
// "Version sync"): changes made while a user was away come back as insert/update/delete; a foreign
// versionID or a truncated log answers `full`. The request log shows which routes were used.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';

interface Delta<T> {
  version: number;
  versionID: string;
  full: boolean;
  insert: T[];
  update: T[];
  delete: string[];
  group?: { groupID: string; groupName: string; status?: number };
}
type Friend = { friendUser: { userID: string; nickname: string } };
type Group = { groupID: string; groupName: string };
type Member = { userID: string; nickname: string };

describe('incremental sync', () => {
  let im: TestIm;
  let admin: string;
  let bob: string;
  const as = <T>(token: string, path: string, body: unknown) => imPost<T>(im.apiAddress, path, body, token);
  const createGroup = async (name: string, members: string[]) =>
    (await as<{ groupInfo: Group }>(admin, '/group/create_group', { ownerUserID: 'alice', memberUserIDs: members, groupInfo: { groupName: name, groupType: 2 } })).groupInfo
      .groupID;

  beforeAll(async () => {
    im = await startTestIm();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await im.register(u, `${u}-nick`);
    admin = await im.adminToken();
    bob = await im.userToken('bob');
  });

  afterAll(async () => {
    await im?.close();
  });

  it('friends: insert, update and delete since the client’s version; full for a foreign versionID', async () => {
    await as(admin, '/friend/import_friend', { ownerUserID: 'bob', friendUserIDs: ['alice', 'carol', 'dave'] });
    const start = await as<Delta<Friend>>(bob, '/friend/get_incremental_friends', { userID: 'bob', versionID: '', version: 0 });
    expect(start).toMatchObject({ full: true, insert: [], update: [], delete: [] });
    expect(start.versionID).toMatch(/^[0-9a-f]{24}$/);
    const none = await as<Delta<Friend>>(bob, '/friend/get_incremental_friends', { userID: 'bob', versionID: start.versionID, version: start.version });
    expect(none).toMatchObject({ full: false, insert: [], update: [], delete: [], version: start.version });

    // While bob is away: a new friend, a friend's new nickname, a removed friend.
    await as(admin, '/friend/import_friend', { ownerUserID: 'bob', friendUserIDs: ['erin'] });
    await as(await im.userToken('alice'), '/user/update_user_info_ex', { userInfo: { userID: 'alice', nickname: 'Alice B.' } });
    await as(admin, '/friend/delete_friend', { ownerUserID: 'bob', friendUserID: 'dave' });

    const d = await as<Delta<Friend>>(bob, '/friend/get_incremental_friends', { userID: 'bob', versionID: start.versionID, version: start.version });
    expect(d.full).toBe(false);
    expect(d.versionID).toBe(start.versionID);
    expect(d.version).toBe(start.version + 3);
    expect(d.insert.map((f) => f.friendUser.userID)).toEqual(['erin']);
    expect(d.update.map((f) => [f.friendUser.userID, f.friendUser.nickname])).toEqual([['alice', 'Alice B.']]);
    expect(d.delete).toEqual(['dave']);

    const foreign = await as<Delta<Friend>>(bob, '/friend/get_incremental_friends', { userID: 'bob', versionID: '0123456789abcdef01234567', version: d.version });
    expect(foreign).toMatchObject({ full: true, insert: [], update: [], delete: [], versionID: start.versionID });
    const ids = await as<{ userIDs: string[]; version: number; versionID: string; equal: boolean }>(bob, '/friend/get_full_friend_user_ids', { userID: 'bob', idHash: 0 });
    expect(ids).toMatchObject({ equal: false, version: d.version, versionID: d.versionID });
    expect([...ids.userIDs].sort()).toEqual(['alice', 'carol', 'erin']);
  });

  it('blacks: insert then delete', async () => {
    const start = await as<Delta<unknown>>(bob, '/friend/get_incremental_blacks', { userID: 'bob', versionID: '', version: 0 });
    await as(bob, '/friend/add_black', { ownerUserID: 'bob', blackUserID: 'carol' });
    const ins = await as<Delta<{ blackUserInfo: { userID: string } }>>(bob, '/friend/get_incremental_blacks', { userID: 'bob', versionID: start.versionID, version: start.version });
    expect(ins.insert.map((b) => b.blackUserInfo.userID)).toEqual(['carol']);
    await as(bob, '/friend/remove_black', { ownerUserID: 'bob', blackUserID: 'carol' });
    const del = await as<Delta<unknown>>(bob, '/friend/get_incremental_blacks', { userID: 'bob', versionID: ins.versionID, version: ins.version });
    expect(del).toMatchObject({ full: false, insert: [], update: [], delete: ['carol'] });
  });

  it('joined groups and group members: insert, update, delete, and the group when its info changed', async () => {
    const g1 = await createGroup('one', ['bob', 'carol', 'dave']);
    const g3 = await createGroup('three', ['bob']);
    const groups0 = await as<Delta<Group>>(bob, '/group/get_incremental_join_groups', { userID: 'bob', versionID: '', version: 0 });
    expect(groups0.full).toBe(true);
    const members0 = await as<Delta<Member>>(bob, '/group/get_incremental_group_members', { groupID: g1, versionID: '', version: 0 });
    expect(members0.full).toBe(true);
    expect(members0.group?.groupID).toBe(g1);

    // While bob is away: a new group with him, g1 renamed, kicked from g3; in g1 erin invited,
    // carol renamed herself, dave kicked.
    const g2 = await createGroup('two', ['bob']);
    await as(admin, '/group/set_group_info_ex', { groupID: g1, groupName: 'one renamed' });
    await as(admin, '/group/kick_group', { groupID: g3, kickedUserIDs: ['bob'] });
    await as(admin, '/group/invite_user_to_group', { groupID: g1, invitedUserIDs: ['erin'] });
    await as(await im.userToken('carol'), '/group/set_group_member_info', { members: [{ groupID: g1, userID: 'carol', nickname: 'Caz' }] });
    await as(admin, '/group/kick_group', { groupID: g1, kickedUserIDs: ['dave'] });

    const groups = await as<Delta<Group>>(bob, '/group/get_incremental_join_groups', { userID: 'bob', versionID: groups0.versionID, version: groups0.version });
    expect(groups.full).toBe(false);
    expect(groups.insert.map((g) => g.groupID)).toEqual([g2]);
    // g1's info changed several times (rename, member count); it is one update entry.
    expect(groups.update.map((g) => [g.groupID, g.groupName])).toEqual([[g1, 'one renamed']]);
    expect(groups.delete).toEqual([g3]);

    const members = await as<Delta<Member>>(bob, '/group/get_incremental_group_members', { groupID: g1, versionID: members0.versionID, version: members0.version });
    expect(members.full).toBe(false);
    expect(members.insert.map((m) => m.userID)).toEqual(['erin']);
    expect(members.update.map((m) => [m.userID, m.nickname])).toEqual([['carol', 'Caz']]);
    expect(members.delete).toEqual(['dave']);
    expect(members.group).toMatchObject({ groupID: g1, groupName: 'one renamed' });

    const batch = await as<{ respList: Record<string, Delta<Member>> }>(bob, '/group/get_incremental_group_members_batch', {
      userID: 'bob',
      reqList: [
        { groupID: g1, versionID: members.versionID, version: members.version },
        { groupID: g2, versionID: 'nope', version: 1 },
        { groupID: g3, versionID: '', version: 0 },
      ],
    });
    expect(Object.keys(batch.respList).sort()).toEqual([g1, g2].sort());
    expect(batch.respList[g1]).toMatchObject({ full: false, insert: [], update: [], delete: [] });
    expect(batch.respList[g1]!.group).toBeUndefined();
    expect(batch.respList[g2]!.full).toBe(true);

    const ids = await as<{ userIDs: string[] }>(bob, '/group/get_full_group_member_user_ids', { groupID: g1, idHash: 0 });
    expect([...ids.userIDs].sort()).toEqual(['alice', 'bob', 'carol', 'erin']);
    const joined = await as<{ groupIDs: string[] }>(bob, '/group/get_full_join_group_ids', { userID: 'bob', idHash: 0 });
    expect([...joined.groupIDs].sort()).toEqual([g1, g2].sort());
    await as(admin, '/group/dismiss_group', { groupID: g2 });
    expect(await as(bob, '/group/get_incremental_group_members', { groupID: g2, versionID: '', version: 0 }).catch((e: { errCode: number }) => e.errCode)).toBe(1204);
    // In the login batch a dismissed group the user is still in is answered, not dropped.
    const after = await as<{ respList: Record<string, Delta<Member>> }>(bob, '/group/get_incremental_group_members_batch', {
      userID: 'bob',
      reqList: [{ groupID: g2, versionID: batch.respList[g2]!.versionID, version: batch.respList[g2]!.version }],
    });
    expect(after.respList[g2]).toMatchObject({ full: false, group: { groupID: g2, status: 2 } });
  });

  it('more changed elements than the log keeps answers full', async () => {
    const ids = Array.from({ length: 201 }, (_, i) => `bulk${i}`);
    await imPost(im.apiAddress, '/user/user_register', { users: ids.map((userID) => ({ userID })) }, admin);
    await im.register('zed');
    const zed = await im.userToken('zed');
    const start = await as<Delta<Friend>>(zed, '/friend/get_incremental_friends', { userID: 'zed', versionID: '', version: 0 });
    await as(admin, '/friend/import_friend', { ownerUserID: 'zed', friendUserIDs: ids.slice(0, 200) });
    const ok = await as<Delta<Friend>>(zed, '/friend/get_incremental_friends', { userID: 'zed', versionID: start.versionID, version: start.version });
    expect(ok.full).toBe(false);
    expect(ok.insert.length).toBe(200);
    await as(admin, '/friend/import_friend', { ownerUserID: 'zed', friendUserIDs: ids.slice(200) });
    const over = await as<Delta<Friend>>(zed, '/friend/get_incremental_friends', { userID: 'zed', versionID: start.versionID, version: start.version });
    expect(over).toMatchObject({ full: true, insert: [], update: [], delete: [] });
  });

  it('the request log records each route with its caller and body, never a token', async () => {
    const log = await im.requestLog();
    const incr = log.filter((e) => e.route === '/friend/get_incremental_friends' && e.userID === 'bob');
    expect(incr.length).toBeGreaterThanOrEqual(3);
    expect(incr[1]!.body).toMatchObject({ userID: 'bob', versionID: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect(incr.every((e) => e.errCode === 0)).toBe(true);
    expect(log.some((e) => e.route === '/friend/get_friend_list' && e.userID === 'bob')).toBe(false);
    const seqs = log.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const adminAsk = log.find((e) => e.route === '/auth/get_admin_token');
    expect(adminAsk?.body).toMatchObject({ secret: '[redacted]', userID: 'imAdmin' });
    const text = JSON.stringify(log);
    for (const t of [admin, bob, await im.userToken('alice')]) expect(text.includes(t)).toBe(false);
    expect(text.includes('openIM123')).toBe(false);
  });
});
