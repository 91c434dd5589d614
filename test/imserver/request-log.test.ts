// The request log is opt-in and crosses the worker boundary: without it the handle says so.

import { describe, expect, it } from 'vitest';
import { imPost, startTestIm } from '../helpers/im.ts';

describe('request log', () => {
  it('rejects when the server runs without one', async () => {
    const im = await startTestIm({ requestLog: false });
    try {
      await im.adminToken();
      await expect(im.requestLog()).rejects.toThrow(/without requestLog/);
    } finally {
      await im.close();
    }
  });

  it('keeps only the newest N entries and records failed requests with their errCode', async () => {
    const im = await startTestIm({ requestLog: 3 });
    try {
      const admin = await im.adminToken();
      await imPost(im.apiAddress, '/user/get_users_info', { userIDs: ['imAdmin'] }, admin);
      await imPost(im.apiAddress, '/friend/get_friend_list', { userID: 'nobody' }, admin);
      await imPost(im.apiAddress, '/friend/add_friend', { fromUserID: 'x', toUserID: 'x' }, admin).catch(() => undefined);
      const log = await im.requestLog();
      expect(log.map((e) => e.route)).toEqual(['/user/get_users_info', '/friend/get_friend_list', '/friend/add_friend']);
      expect(log.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(log[2]).toMatchObject({ userID: 'imAdmin', errCode: 1301, body: { fromUserID: 'x', toUserID: 'x' } });
    } finally {
      await im.close();
    }
  });
});
