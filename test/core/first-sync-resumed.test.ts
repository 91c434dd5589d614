// The first sync of a new data dir is silent (upstream's core on a new install), except for a
// session that continues a client which redialled (CoreInit.resumed): its node failed over to
// this one, where the user's data dir is new, and the messages it missed meanwhile are among the
// unread. Those, and only those, are reported as OnRecvNewMessages, each conversation's in seq order.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
const dirs: Array<{ dir: string; cleanup(): void }> = [];
const cores: TestCore[] = [];

beforeAll(async () => {
  im = await startTestIm();
  for (const u of ['rina', 'sam', 'tess']) await im.register(u);
});

afterAll(async () => {
  for (const c of cores) await c.core.close('drain');
  await im?.close();
  for (const d of dirs) d.cleanup();
});

/** `userID` logged in on a data dir of its own ("a node"), first sync finished. */
async function on(userID: string, resumed?: boolean): Promise<TestCore> {
  const d = tempDir('core-resumed-');
  dirs.push(d);
  const c = new TestCore(userID, d.dir, im, 5, {}, resumed === undefined ? {} : { resumed });
  cores.push(c);
  await c.call('Login', userID, await im.userToken(userID));
  await c.waitFor('OnSyncServerFinish', undefined, 15_000);
  return c;
}

async function send(from: TestCore, text: string, to: string): Promise<void> {
  const m = await from.call('CreateTextMessage', text);
  await from.call('SendMessageNotOss', m, to, '', undefined, false);
}

const texts = (c: TestCore): string[] =>
  c.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as Array<{ textElem?: { content: string } }>).map((m) => m.textElem?.content ?? '?'));

describe('a first sync that continues a redialled client', () => {
  it('reports the unread messages as new, each conversation\'s in order, and nothing the user had read', async () => {
    const sam = await on('sam');
    const tess = await on('tess');
    // rina on "node 1" reads what she has, then that node dies.
    const node1 = await on('rina');
    await send(sam, 'seen 1', 'rina');
    await send(sam, 'seen 2', 'rina');
    await node1.waitFor('OnRecvNewMessages', (ms: Array<{ textElem?: { content: string } }>) => ms.some((m) => m.textElem?.content === 'seen 2'));
    const conv = (await node1.call('GetOneConversation', 1, 'sam')).conversationID;
    await node1.call('MarkConversationMessageAsRead', conv);
    await node1.core.close('drain');
    // Sent while rina's client redials.
    await send(sam, 'missed 1', 'rina');
    await send(tess, 'missed 2', 'rina');
    await send(sam, 'missed 3', 'rina');

    // Failover: the same client lands on "node 2", a new data dir.
    const node2 = await on('rina', true);
    // Each conversation's in seq order (conversations one after the other).
    expect([...texts(node2)].sort()).toEqual(['missed 1', 'missed 2', 'missed 3']);
    expect(texts(node2).filter((t) => t !== 'missed 2')).toEqual(['missed 1', 'missed 3']);
    const list = await node2.call<Array<{ userID: string; unreadCount: number }>>('GetAllConversationList');
    expect(list.find((c) => c.userID === 'sam')?.unreadCount).toBe(2);
    expect(list.find((c) => c.userID === 'tess')?.unreadCount).toBe(1);
    await node2.core.close('drain');

    // A client that logs in afresh on a new data dir is told nothing of them (upstream's rule).
    const fresh = await on('rina', false);
    expect(texts(fresh)).toEqual([]);
    expect(fresh.count('OnNewConversation')).toBeGreaterThan(0);
  }, 60_000);
});
