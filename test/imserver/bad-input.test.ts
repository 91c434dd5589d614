// Malformed input of each kind gets OpenIM's answer (error code, or a closed socket) and the
// server keeps serving.

import { PbCoder } from '@openim/protocol';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/imserver/jwt.ts';
import { imPost, startTestIm, TEST_SECRET, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, refusedHandshake, textMsg, WAIT_MS } from './wsclient.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers, timeout: WAIT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('bad input', () => {
  let im: TestIm;
  let token: string;

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    raw(im.apiAddress + path, { body, headers: { 'Content-Type': 'application/json', operationID: 'op-bad', token, ...headers } });
  const env = async (path: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    const r = await post(path, body, headers);
    expect(r.status).toBe(200);
    return JSON.parse(r.text) as { errCode: number; errMsg: string; errDlt: string; data?: unknown };
  };

  beforeAll(async () => {
    im = await startTestIm();
    await im.register('eve');
    await im.register('fay');
    token = await im.userToken('eve');
  });
  afterAll(async () => {
    await im?.close();
  });

  describe('REST', () => {
    it('missing operationID or token headers → 1001', async () => {
      const noOp = await raw(im.apiAddress + '/user/get_users_info', { body: '{"userIDs":["eve"]}', headers: { token } });
      expect(JSON.parse(noOp.text)).toEqual({ errCode: 1001, errMsg: 'ArgsError', errDlt: 'header must have operationID' });
      const noToken = await raw(im.apiAddress + '/user/get_users_info', { body: '{"userIDs":["eve"]}', headers: { operationID: 'x' } });
      expect(JSON.parse(noToken.text)).toEqual({ errCode: 1001, errMsg: 'ArgsError', errDlt: 'header must have token' });
    });

    it('bad tokens → 1503 malformed, 1505 bad signature, 1501 expired, 1507 never issued', async () => {
      const path = '/user/get_users_info';
      const body = '{"userIDs":["eve"]}';
      expect((await env(path, body, { token: 'not-a-jwt' })).errCode).toBe(1503);
      expect((await env(path, body, { token: signToken('eve', 5, 3600, 'wrong-secret').token })).errCode).toBe(1505);
      expect((await env(path, body, { token: signToken('eve', 5, 3600, TEST_SECRET, Date.now() - 7200_000).token })).errCode).toBe(1501);
      const e = await env(path, body, { token: signToken('eve', 5, 3600, TEST_SECRET).token });
      expect(e).toMatchObject({ errCode: 1507, errMsg: 'TokenNotExistError' });
      expect(e).not.toHaveProperty('data');
    });

    it('malformed JSON, a non-object body and an empty body → 1001', async () => {
      for (const body of ['{"userIDs":', '[1,2]', '"str"', '']) {
        const e = await env('/user/get_users_info', body);
        expect(e.errCode).toBe(1001);
        expect(e.errMsg).toBe('ArgsError');
      }
    });

    it('wrong field types → 1001 naming the field', async () => {
      const cases: [string, unknown][] = [
        ['/user/get_users_info', { userIDs: 'eve' }],
        ['/user/get_users_info', { userIDs: [1] }],
        ['/msg/mark_conversation_as_read', { conversationID: 'si_eve_fay', userID: 'eve', hasReadSeq: '1' }],
        ['/msg/mark_conversation_as_read', { conversationID: 'si_eve_fay', userID: 'eve', hasReadSeq: 1.5 }],
        ['/conversation/set_conversations', { userIDs: ['eve'], conversation: 'x' }],
      ];
      for (const [path, body] of cases) {
        const e = await env(path, JSON.stringify(body));
        expect(e.errCode, path).toBe(1001);
        expect(e.errDlt).toMatch(/cannot unmarshal/);
      }
    });

    it('unknown routes and non-POST methods get gin\'s plain 404', async () => {
      const r = await post('/no/such_route', '{}');
      expect(r.status).toBe(404);
      expect(r.text).toBe('404 page not found');
      const get = await raw(im.apiAddress + '/user/get_users_info', { method: 'GET' });
      expect(get.status).toBe(404);
    });

    it('an oversized body → 1001 and the connection is closed; the server keeps serving', async () => {
      const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
      const r = await post('/user/get_users_info', big);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ errCode: 1001, errMsg: 'ArgsError', errDlt: 'request body exceeds 1048576 bytes' });
      const ok = await imPost(im.apiAddress, '/msg/get_server_time', {}, token);
      expect(ok).toHaveProperty('serverTime');
    });

    it('CheckAccess: a user acts only for itself → 1002; admin routes refuse users → 1002', async () => {
      const e = await env('/conversation/get_all_conversations', JSON.stringify({ ownerUserID: 'fay' }));
      expect(e).toMatchObject({ errCode: 1002, errMsg: 'NoPermissionError' });
      const reg = await env('/user/user_register', JSON.stringify({ users: [{ userID: 'zed' }] }));
      expect(reg.errCode).toBe(1002);
      const admin = await im.adminToken();
      await expect(imPost(im.apiAddress, '/conversation/get_all_conversations', { ownerUserID: 'fay' }, admin)).resolves.toEqual({ conversations: [] });
    });

    it('get_admin_token with a wrong secret → 1002, with a non-admin user → 1001', async () => {
      const e = await env('/auth/get_admin_token', JSON.stringify({ secret: 'nope', userID: 'imAdmin' }), { token: '' });
      expect(e.errCode).toBe(1002);
      expect((await env('/auth/get_admin_token', JSON.stringify({ secret: TEST_SECRET, userID: 'eve' }))).errCode).toBe(1001);
    });

    it('user_register refuses an empty list, a bad ID and a duplicate in the request', async () => {
      const admin = await im.adminToken();
      for (const users of [[], [{ userID: '' }], [{ userID: 'a b' }], [{ userID: 'dup' }, { userID: 'dup' }]]) {
        await expect(imPost(im.apiAddress, '/user/user_register', { users }, admin)).rejects.toMatchObject({ errCode: 1001 });
      }
    });
  });

  describe('OpenIM\'s 1,000 user IDs per request (protocol constant.ParamMaxLength)', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `nobody${i}`);
    it.each([
      ['/group/create_group', (n: number) => ({ ownerUserID: 'eve', memberUserIDs: ids(n), adminUserIDs: [], groupInfo: { groupName: 'g', groupType: 2 } }), 'memberUserIDs'],
      ['/group/invite_user_to_group', (n: number) => ({ groupID: 'g', invitedUserIDs: ids(n), reason: '' }), 'invitedUserIDs'],
      ['/group/kick_group', (n: number) => ({ groupID: 'g', kickedUserIDs: ids(n), reason: '' }), 'kickedUserIDs'],
      ['/group/set_group_member_info', (n: number) => ({ members: ids(n).map((userID) => ({ groupID: 'g', userID })) }), 'members'],
      ['/friend/update_friends', (n: number) => ({ ownerUserID: 'eve', friendUserIDs: ids(n) }), 'friendUserIDs'],
      ['/friend/get_specified_friends_info', (n: number) => ({ ownerUserID: 'eve', userIDList: ids(n) }), 'userIDList'],
    ] as const)('%s refuses 1,001 with 1001 naming the field', async (path, body, key) => {
      const e = await env(path, JSON.stringify(body(1001)));
      expect(e).toMatchObject({ errCode: 1001, errDlt: `too many ${key}, need to be less than 1000` });
      // 1,000 passes the count check (and fails later, on the made-up IDs or group, if at all).
      expect((await env(path, JSON.stringify(body(1000)))).errDlt).not.toMatch(/too many/);
    });
  });

  describe('message gateway handshake', () => {
    const base = () => ({ userID: 'eve', token, isMsgResp: false as boolean });

    it('refuses missing or bad URL parameters with HTTP 200 and 1602, even with isMsgResp', async () => {
      const cases: Record<string, string | undefined>[] = [
        { isBackground: undefined },
        { isBackground: 'maybe' },
        { token: undefined },
        { sendID: undefined },
        { platformID: undefined },
        { platformID: 'web' },
        { platformID: '42' },
        { operationID: undefined },
        { sdkType: 'java' },
      ];
      for (const query of cases) {
        for (const isMsgResp of [false, true]) {
          const r = await refusedHandshake(im.wsAddress, { ...base(), isMsgResp, query });
          expect(r.status, JSON.stringify(query)).toBe(200);
          expect(r.body.errCode, JSON.stringify(query)).toBe(1602);
        }
      }
    });

    it('refuses sdkType=go (gob) and a missing sdkType with a clear message', async () => {
      for (const sdkType of ['go', undefined]) {
        const r = await refusedHandshake(im.wsAddress, { ...base(), query: { sdkType } });
        expect(r.body.errCode).toBe(1602);
        expect(r.body.errDlt).toMatch(/sdkType=go.*not supported.*sdkType=js/);
      }
    });

    it('refuses a token of another user or platform with 1502', async () => {
      expect((await refusedHandshake(im.wsAddress, { ...base(), userID: 'fay' })).body.errCode).toBe(1502);
      expect((await refusedHandshake(im.wsAddress, { ...base(), platformID: 2 })).body.errCode).toBe(1502);
    });

    it('with isMsgResp a bad token is reported in the first text frame, then the socket closes', async () => {
      const { client, first } = await connect(im.wsAddress, { userID: 'eve', token: 'garbage' });
      expect(first).toMatchObject({ errCode: 1503, errMsg: 'TokenMalformedError' });
      await client.closed;
    });
  });

  describe('message gateway frames', () => {
    async function expectClosedBy(send: (c: Awaited<ReturnType<typeof connect>>['client']) => void) {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      send(client);
      const closed = await Promise.race([client.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), WAIT_MS))]);
      expect(closed).not.toBe('open');
      expect(client.frames).toEqual([]);
      return closed;
    }

    it('closes on a frame that is not JSON', () => expectClosedBy((c) => c.sendBinary(Buffer.from('\x00\x01garbage'))));
    it('closes on a request missing msgIncr', () =>
      expectClosedBy((c) => c.sendBinary(Buffer.from(JSON.stringify({ reqIdentifier: 1006, sendID: 'eve', operationID: 'o', data: null })))));
    it('closes on a wrong-typed reqIdentifier', () =>
      expectClosedBy((c) => c.sendBinary(Buffer.from(JSON.stringify({ reqIdentifier: '1006', sendID: 'eve', operationID: 'o', msgIncr: 'm' })))));
    it('closes on an unknown reqIdentifier', () => expectClosedBy((c) => c.sendReq(4242, null)));
    it('closes on a sendID that is not the connection\'s user', () => expectClosedBy((c) => c.sendReq(1006, null, { sendID: 'fay' })));
    it('closes on data that is not base64', () =>
      expectClosedBy((c) => c.sendBinary(Buffer.from(JSON.stringify({ reqIdentifier: 1006, sendID: 'eve', operationID: 'o', msgIncr: 'm', data: '%%%' })))));
    it('closes on a text frame that is not a ping', () => expectClosedBy((c) => c.ws.send('{"type":"hello"}')));
    it('closes on a frame above 51200 bytes', async () => {
      const closed = await expectClosedBy((c) => c.sendBinary(Buffer.alloc(60_000, 0x7b)));
      expect(closed).toMatchObject({ code: 1009 });
    });
    it('closes on a bad gzip payload when compression=gzip', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token, compression: true });
      client.ws.send(Buffer.from('not gzip'), { binary: true });
      await client.closed;
    });

    it('answers undecodable protobuf with 1001 and keeps the connection', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const r = await client.request(1002, Buffer.from([0xff, 0xff, 0xff]));
      expect(r).toMatchObject({ reqIdentifier: 1002, errCode: 1001, data: null });
      const ok = await client.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'eve', conversationIDs: [] }).finish());
      expect(ok.errCode).toBe(0);
      client.close();
    });

    it('answers a 1003 whose MsgData.sendID is someone else with 1002 and does not store it', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const r = await client.request(1003, encodeMsg(textMsg('fay', 'eve', 'forged')));
      expect(r).toMatchObject({ errCode: 1002, data: null });
      const bad = await client.request(1003, encodeMsg(textMsg('eve', 'nobody-here', 'to nobody')));
      expect(bad.errCode).toBe(1101);
      const group = await client.request(1003, encodeMsg(textMsg('eve', '', 'to group', { sessionType: 3, groupID: 'g1' })));
      expect(group.errCode).toBe(1201);
      const seqs = decodeData(
        PbCoder.GetConversationsHasReadAndMaxSeqResp,
        await client.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'eve', conversationIDs: [] }).finish()),
      );
      expect(seqs.seqs).toEqual({});
      expect(client.pushes()).toEqual([]);
      client.close();
    });

    it('refuses more than 1000 seqs for one conversation in a 1005 pull with 1001', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const seqs = Array.from({ length: 1001 }, (_, i) => i + 1);
      const r = await client.request(1005, PbCoder.GetSeqMessageReq.encode({ userID: 'eve', conversations: [{ conversationID: 'n_eve_eve', seqs }] }).finish());
      expect(r).toMatchObject({ errCode: 1001, data: null });
      client.close();
    });

    it('answers a request for another user inside data with 1002', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const r = await client.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'fay', conversationIDs: [] }).finish());
      expect(r.errCode).toBe(1002);
      client.close();
    });

    it('2003 logout answers and then closes', async () => {
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const r = await client.request(2003, Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from('eve'), Buffer.from([0x10, 5])]));
      expect(r).toMatchObject({ reqIdentifier: 2003, errCode: 0, data: null });
      await client.closed;
    });

    it('survives random frames: each one gets an answer or a close, never a hang', async () => {
      let seed = 42;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const { client } = await connect(im.wsAddress, { userID: 'eve', token });
      const ids = [1001, 1002, 1003, 1005, 1006, 1007, 2004, 2005];
      for (let i = 0; i < 60 && client.ws.readyState === client.ws.OPEN; i++) {
        const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        const r = await Promise.race([client.request(ids[i % ids.length]!, junk), client.closed.then(() => 'closed' as const)]);
        if (r !== 'closed') expect([0, 1001, 1002]).toContain(r.errCode);
      }
      client.close();
      const { first } = await connect(im.wsAddress, { userID: 'eve', token });
      expect(first?.errCode).toBe(0);
    });

    it('still serves after all of the above', async () => {
      const { client, first } = await connect(im.wsAddress, { userID: 'eve', token });
      expect(first?.errCode).toBe(0);
      client.close();
    });
  });
});
