import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';

describe('test/helpers/im.ts', () => {
  let im: TestIm;
  beforeAll(async () => {
    im = await startTestIm();
  });
  afterAll(async () => {
    await im?.close();
  });

  it('starts a server on ephemeral 127.0.0.1 ports', () => {
    expect(im.apiAddress).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(im.wsAddress).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(im.apiAddress).not.toBe('http://127.0.0.1:10002');
  });

  it('registers users and caches one token per user and platform', async () => {
    await im.register('helper_u1', 'Helper One');
    const a = await im.userToken('helper_u1');
    expect(await im.userToken('helper_u1')).toBe(a);
    const other = await im.userToken('helper_u1', 1);
    expect(other).not.toBe(a);
    // Both are still valid: a token only kicks older tokens of the same platform.
    expect(await imPost(im.apiAddress, '/auth/parse_token', { token: a })).toMatchObject({ userID: 'helper_u1', platformID: 5 });
    expect(await imPost(im.apiAddress, '/auth/parse_token', { token: other })).toMatchObject({ userID: 'helper_u1', platformID: 1 });
    const info = await imPost<{ usersInfo: { userID: string; nickname: string }[] }>(im.apiAddress, '/user/get_users_info', { userIDs: ['helper_u1'] }, a);
    expect(info.usersInfo).toEqual([expect.objectContaining({ userID: 'helper_u1', nickname: 'Helper One' })]);
  });

  it('refuses to register the same user twice with 1102', async () => {
    await im.register('helper_u2');
    await expect(im.register('helper_u2')).rejects.toMatchObject({ errCode: 1102 });
  });

  it('makeFriends and createGroup set up relations with the admin token only', async () => {
    for (const u of ['helper_f1', 'helper_f2', 'helper_f3']) await im.register(u);
    await im.makeFriends('helper_f1', 'helper_f2');
    const admin = await im.adminToken();
    expect(await imPost(im.apiAddress, '/friend/is_friend', { userID1: 'helper_f1', userID2: 'helper_f2' }, admin)).toEqual({ inUser1Friends: true, inUser2Friends: true });
    const groupID = await im.createGroup('helper_f1', ['helper_f2', 'helper_f3'], { groupName: 'helpers' });
    const members = await imPost<{ members: { userID: string; roleLevel: number }[] }>(im.apiAddress, '/group/get_group_member_list', { groupID }, admin);
    expect(members.members.map((m) => [m.userID, m.roleLevel])).toEqual([
      ['helper_f1', 100],
      ['helper_f2', 20],
      ['helper_f3', 20],
    ]);
    // No user token was issued for them.
    const log = await im.requestLog();
    expect(log.some((e) => e.route === '/auth/get_user_token' && (e.body as { userID?: string }).userID?.startsWith('helper_f'))).toBe(false);
    expect(log.some((e) => e.route === '/group/create_group' && e.userID === 'imAdmin')).toBe(true);
  });
});
