// SendMessage is idempotent by clientMsgID (issue 9): a message sent again after any failure
// answers with the delivered message if the server has it and is sent otherwise, never twice
// on the server and never 10204 for its own retry. "On the server" is read back with a REST pull
// (im.history): a client's local store would merge two copies that share a clientMsgID.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/index.ts';
import { MsgStatus, type MessageItem } from '../../src/core/types.ts';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let nora: TestCore;
const conv = 'si_nora_otto';

const login = async (c: TestCore): Promise<unknown> => c.login(await im.userToken(c.userID, c.platformID));

/** Close nora's core, change her local store as a crash would have left it, and start a new core. */
async function afterCrash(change: (store: Store) => void): Promise<void> {
  await nora.core.close('drain');
  const store = new Store(nora.dataDir);
  try {
    change(store);
  } finally {
    store.close();
  }
  nora = new TestCore('nora', db.dir, im);
  await login(nora);
}

async function copies(clientMsgID: string): Promise<number> {
  return (await im.history('otto', conv)).filter((m) => m.clientMsgID === clientMsgID).length;
}

const send = (m: unknown) => nora.call<MessageItem>('SendMessageNotOss', m, 'otto', '', undefined, false);

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-send-');
  await im.register('nora', 'Nora');
  await im.register('otto', 'Otto');
  nora = new TestCore('nora', db.dir, im);
  await login(nora);
});

afterAll(async () => {
  await nora?.core.close('drain');
  await im?.close();
  db?.cleanup();
});

describe('SendMessage is idempotent by clientMsgID', () => {
  it('a message sent again after it succeeded answers the delivered message, and the server keeps one copy', async () => {
    const m = await nora.call('CreateTextMessage', 'once');
    const first = await send(m);
    const again = await send(m);
    expect(again).toMatchObject({ clientMsgID: first.clientMsgID, serverMsgID: first.serverMsgID, status: MsgStatus.Success });
    expect(await copies(first.clientMsgID)).toBe(1);
  });

  it('concurrent sends of one message share one attempt', async () => {
    const m = await nora.call('CreateTextMessage', 'five at once');
    const all = await Promise.all(Array.from({ length: 5 }, () => send(m)));
    expect(new Set(all.map((r) => r.serverMsgID)).size).toBe(1);
    expect(await copies(all[0]!.clientMsgID)).toBe(1);
  });

  it('delivered, but the answer was lost (the row says failed): the resend finds it on the server instead of sending it again', async () => {
    const m = await nora.call('CreateTextMessage', 'answer lost');
    const first = await send(m);
    // A few newer messages, so the lookup has to page back to it.
    for (let i = 0; i < 3; i++) await send(await nora.call('CreateTextMessage', `after ${i}`));
    await afterCrash((store) => {
      const row = store.messages.get(first.clientMsgID)!;
      store.messages.put(conv, { ...row, status: MsgStatus.Failed, seq: 0, serverMsgID: '' });
    });
    const again = await send(m);
    expect(again).toMatchObject({ clientMsgID: first.clientMsgID, serverMsgID: first.serverMsgID, status: MsgStatus.Success });
    expect(again.seq).toBe((await im.history('otto', conv)).find((x) => x.clientMsgID === first.clientMsgID)!.seq);
    expect(await copies(first.clientMsgID)).toBe(1);
  });

  it('never delivered (the row says sending when the worker died): the resend sends it, once', async () => {
    const m = await nora.call<MessageItem>('CreateTextMessage', 'never arrived');
    await afterCrash((store) => {
      store.messages.put(conv, { ...m, sendID: 'nora', recvID: 'otto', sessionType: 1, status: MsgStatus.Sending });
    });
    // The new core marked it failed at start, as after a real crash.
    expect((await nora.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }])).findResultItems[0].messageList[0].status).toBe(MsgStatus.Failed);
    const sent = await send(m);
    expect(sent.status).toBe(MsgStatus.Success);
    expect(await copies(m.clientMsgID)).toBe(1);
    expect(await send(m)).toMatchObject({ serverMsgID: sent.serverMsgID });
    expect(await copies(m.clientMsgID)).toBe(1);
  });

  it('the same clientMsgID in another conversation is still refused with 10204', async () => {
    await im.register('pia');
    const m = await nora.call('CreateTextMessage', 'to otto');
    await send(m);
    await expect(nora.call('SendMessageNotOss', m, 'pia', '', undefined, false)).rejects.toMatchObject({ code: 10204 });
  });
});
