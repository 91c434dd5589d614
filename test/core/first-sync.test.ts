// A fresh device of a user with many conversations: the first sync lists them all, each with
// its last message and the server's unread count, before OnSyncServerFinish.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
const N = 60;

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-first-');
  await im.register('olga', 'Olga');
  const admin = await im.adminToken();
  for (let i = 0; i < N; i++) {
    const from = `p${String(i).padStart(2, '0')}`;
    await im.register(from, `Peer ${i}`);
    for (let k = 0; k < 2; k++) {
      await imPost(im.apiAddress, '/msg/send_msg', {
        sendID: from, recvID: 'olga', groupID: '', senderPlatformID: 5, senderNickname: `Peer ${i}`, senderFaceURL: '',
        content: { content: `hello ${k} from ${from}` }, contentType: 101, sessionType: 1, isOnlineOnly: false, notOfflinePush: false, sendTime: 0, ex: '',
      }, admin);
    }
  }
});

afterAll(async () => {
  await im?.close();
  db?.cleanup();
});

describe('first sync on a new device', () => {
  it(`lists all ${N} conversations with their last message and unread counts`, async () => {
    const olga = new TestCore('olga', db.dir, im);
    await olga.call('Login', 'olga', await im.userToken('olga'));
    await olga.waitFor('OnSyncServerFinish', undefined, 15_000);
    const list = await olga.call('GetAllConversationList');
    expect(list).toHaveLength(N);
    for (const c of list) {
      const last = JSON.parse(c.latestMsg);
      expect(last.textElem.content).toBe(`hello 1 from ${c.userID}`);
      expect(c.unreadCount).toBe(2);
      expect(c.showName).toBe(`Peer ${Number(c.userID.slice(1))}`);
    }
    expect(await olga.call('GetTotalUnreadMsgCount')).toBe(2 * N);
    // Not "new": the first sync reports no OnRecvNewMessages.
    expect(olga.count('OnRecvNewMessages')).toBe(0);
    await olga.core.close('drain');
  });
});
