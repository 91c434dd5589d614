// Multi-login policy 1 (AllLoginButSameTermKick) and force_logout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, refusedHandshake, WAIT_MS } from './wsclient.ts';

describe('kick policy', () => {
  let im: TestIm;
  let admin: string;

  const freshToken = async (userID: string, platformID = 5) =>
    (await imPost<{ token: string }>(im.apiAddress, '/auth/get_user_token', { userID, platformID }, admin)).token;

  beforeAll(async () => {
    im = await startTestIm();
    admin = await im.adminToken();
    for (const u of ['kim', 'lee', 'max']) await im.register(u);
  });
  afterAll(async () => {
    await im?.close();
  });

  it('a new token for the same user and platform kicks the old connection with 2002, and the old token then answers 1506', async () => {
    const oldToken = await freshToken('kim');
    const { client: old, first } = await connect(im.wsAddress, { userID: 'kim', token: oldToken });
    expect(first).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
    const { client: otherPlatform } = await connect(im.wsAddress, { userID: 'kim', token: await freshToken('kim', 2), platformID: 2 });

    const newToken = await freshToken('kim');
    await expect(imPost(im.apiAddress, '/auth/parse_token', { token: oldToken })).rejects.toMatchObject({ errCode: 1506 });
    const { client: fresh } = await connect(im.wsAddress, { userID: 'kim', token: newToken });

    const kick = await old.waitFor(() => old.frames.find((f) => f.reqIdentifier === 2002), '2002');
    expect(kick).toMatchObject({ msgIncr: '', errCode: 0, data: null });
    await expect(old.closed).resolves.toMatchObject({ code: expect.any(Number) });

    // REST with the old token: 1506.
    await expect(imPost(im.apiAddress, '/user/get_users_info', { userIDs: ['kim'] }, oldToken)).rejects.toMatchObject({ errCode: 1506 });
    // Reconnecting with the old token: with isMsgResp a text frame 1506 then close; without, HTTP JSON 1506.
    const { client: again, first: refused } = await connect(im.wsAddress, { userID: 'kim', token: oldToken });
    expect(refused).toMatchObject({ errCode: 1506, errMsg: 'TokenKickedError' });
    await again.closed;
    const http = await refusedHandshake(im.wsAddress, { userID: 'kim', token: oldToken, isMsgResp: false });
    expect(http.status).toBe(200);
    expect(http.body.errCode).toBe(1506);

    // The other platform and the new connection are untouched.
    await new Promise((r) => setTimeout(r, 100));
    expect(otherPlatform.frames.some((f) => f.reqIdentifier === 2002)).toBe(false);
    expect(fresh.frames.some((f) => f.reqIdentifier === 2002)).toBe(false);
    expect(otherPlatform.ws.readyState).toBe(otherPlatform.ws.OPEN);
    expect(fresh.ws.readyState).toBe(fresh.ws.OPEN);
    otherPlatform.close();
    fresh.close();
  });

  it('a second connection with the same token is not kicked', async () => {
    const token = await im.userToken('lee');
    const { client: a } = await connect(im.wsAddress, { userID: 'lee', token });
    const { client: b } = await connect(im.wsAddress, { userID: 'lee', token });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.frames.some((f) => f.reqIdentifier === 2002)).toBe(false);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    await imPost(im.apiAddress, '/auth/parse_token', { token });
    a.close();
    b.close();
  });

  it('force_logout kicks the platform connections with 2002 and invalidates the token', async () => {
    const token = await freshToken('max');
    const { client } = await connect(im.wsAddress, { userID: 'max', token });
    await imPost(im.apiAddress, '/auth/force_logout', { userID: 'max', platformID: 5 }, admin);
    await client.waitFor(() => client.frames.find((f) => f.reqIdentifier === 2002), '2002', WAIT_MS);
    await client.closed;
    await expect(imPost(im.apiAddress, '/auth/parse_token', { token })).rejects.toMatchObject({ errCode: 1506 });
  });

  it('force_logout needs an admin token', async () => {
    const token = await im.userToken('lee');
    await expect(imPost(im.apiAddress, '/auth/force_logout', { userID: 'lee', platformID: 5 }, token)).rejects.toMatchObject({ errCode: 1002 });
  });
});
