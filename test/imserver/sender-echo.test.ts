// The echo of a send to the connection that sent it leaves only after the 1003 response has had
// time to be processed, as upstream's push (persisted, then through the push pipeline) does; a
// core that learns its send's operationID asynchronously then never takes its own message for a
// new one. Everyone else, the sender's other devices included, gets the push at once.

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { AsyncEchoClient } from '../fixtures/async-echo-client.ts';
import { connect, decodeData, type TestClient } from './wsclient.ts';

let im: TestIm;
let amy: AsyncEchoClient;
let amyPc: TestClient;
let bo: TestClient;
/** Every pushed clientMsgID with the connection that got it, in arrival order. */
const arrivals: Array<{ who: string; id: string }> = [];

function track(who: string, c: TestClient): void {
  c.ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    const f = JSON.parse(data.toString('utf8')) as { reqIdentifier: number; data: string | null };
    if (f.reqIdentifier !== 2001) return;
    const p = decodeData(PbCoder.PushMessages, { data: f.data } as never);
    for (const pull of Object.values(p.msgs)) for (const m of pull.Msgs) arrivals.push({ who, id: m.clientMsgID });
  });
}

beforeAll(async () => {
  im = await startTestIm();
  await im.register('amy');
  await im.register('bo');
  amy = await AsyncEchoClient.open(im.wsAddress, 'amy', await im.userToken('amy'));
  ({ client: amyPc } = await connect(im.wsAddress, { userID: 'amy', token: await im.userToken('amy', 3), platformID: 3 }));
  ({ client: bo } = await connect(im.wsAddress, { userID: 'bo', token: await im.userToken('bo') }));
  track('amy', amy.client);
  track('amyPc', amyPc);
  track('bo', bo);
});

afterAll(async () => {
  amy?.close();
  amyPc?.close();
  bo?.close();
  await im?.close();
});

describe('the echo to the sending connection', () => {
  it('follows the response by enough that an async core recognises every echo; others get the push first', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) sent.push(await amy.send('bo', `m${i}`));
    await expect.poll(() => amy.echoes.length + amy.reportedNew.length, { interval: 20 }).toBeGreaterThanOrEqual(sent.length);
    expect(amy.reportedNew).toEqual([]);
    expect(amy.echoes).toEqual(sent);
    for (const id of sent) {
      await bo.waitFor(() => arrivals.find((a) => a.who === 'bo' && a.id === id), `bo gets ${id}`);
      await amyPc.waitFor(() => arrivals.find((a) => a.who === 'amyPc' && a.id === id), `amy's other device gets ${id}`);
      const at = (who: string) => arrivals.findIndex((a) => a.who === who && a.id === id);
      expect(at('bo')).toBeLessThan(at('amy'));
      expect(at('amyPc')).toBeLessThan(at('amy'));
    }
  });
});
