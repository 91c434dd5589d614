// Durability: a core killed in the middle of a burst loses nothing and duplicates nothing.

import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionDataDir } from '../../src/ids.ts';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-crash-');
  await im.register('mia');
  await im.register('noah');
});

afterAll(async () => {
  await im?.close();
  db?.cleanup();
});

describe('crash in the middle of a burst', () => {
  it('after the worker is killed and the core reopened, every sent message is in history exactly once', async () => {
    const mia = new TestCore('mia', db.dir, im);
    await mia.call('Login', 'mia', await im.userToken('mia'));
    await mia.waitFor('OnSyncServerFinish');
    const worker = new Worker(new URL('./crash-worker.ts', import.meta.url), {
      workerData: { userID: 'noah', dataDir: sessionDataDir(db.dir, 'noah', 5), apiAddress: im.apiAddress, wsAddress: im.wsAddress, token: await im.userToken('noah') },
    });
    const seen: string[] = [];
    let synced = false;
    worker.on('message', (m: { event: string; data: string }) => {
      if (m.event === 'OnSyncServerFinish') synced = true;
      if (m.event === 'OnRecvNewMessages') for (const x of JSON.parse(m.data) as { clientMsgID: string }[]) seen.push(x.clientMsgID);
    });
    await expect.poll(() => synced, { timeout: 8000, message: 'noah synced' }).toBe(true);
    const sent: string[] = [];
    const burst = (async () => {
      for (let i = 0; i < 60; i++) {
        const msg = await mia.call('CreateTextMessage', `burst ${i}`);
        sent.push((await mia.call('SendMessageNotOss', msg, 'noah', '', undefined, false)).clientMsgID);
      }
    })();
    await expect.poll(() => seen.length >= 15, { timeout: 8000, message: 'some of the burst' }).toBe(true);
    await worker.terminate();
    await burst;
    const before = new Set(seen);
    const noah = new TestCore('noah', db.dir, im);
    // Readable before any network: what the dead worker stored is there, once.
    const offline = await noah.call('GetAdvancedHistoryMessageList', { conversationID: 'si_mia_noah', startClientMsgID: '', count: 100, lastMinSeq: 0 });
    const offIDs = offline.messageList.map((m: any) => m.clientMsgID);
    expect(new Set(offIDs).size).toBe(offIDs.length);
    expect(offIDs.length).toBeGreaterThanOrEqual(15);
    await noah.call('Login', 'noah', await im.userToken('noah'));
    await noah.waitFor('OnSyncServerFinish');
    const hist = await noah.call('GetAdvancedHistoryMessageList', { conversationID: 'si_mia_noah', startClientMsgID: '', count: 100, lastMinSeq: 0 });
    expect(hist.messageList.map((m: any) => m.clientMsgID)).toEqual(sent);
    // Reported as new exactly once across the two lives (nothing stored is reported again).
    const after = noah.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    for (const id of after) expect(before.has(id) && offIDs.includes(id)).toBe(false);
    expect(new Set([...offIDs, ...after])).toEqual(new Set(sent));
    await noah.core.close('drain');
    await mia.core.close('drain');
  });
});
