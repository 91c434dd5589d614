// A message sent while a user's first sync runs (connected, seqs not read yet) is stored by the
// sync as the conversation's last message and then arrives as a push: it must still be reported
// as new. A loopback proxy holds the first sync's profile request to open that window.

import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let proxy: Server;
let proxyURL = '';
let hold: Promise<void> | null = null;
let held: () => void = () => {};

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-race-');
  await im.register('ann', 'Ann');
  await im.register('dan', 'Dan');
  const target = new URL(im.apiAddress);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.url === '/user/get_users_info' && hold) {
        held();
        await hold;
      }
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const addr = proxy.address() as { port: number };
  proxyURL = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await im?.close();
  db?.cleanup();
});

describe('first sync', () => {
  it('reports a message pushed while the first sync runs', async () => {
    const ann = new TestCore('ann', db.dir, im);
    await ann.call('Login', 'ann', await im.userToken('ann'));
    await ann.waitFor('OnSyncServerFinish');

    let release: () => void = () => {};
    hold = new Promise<void>((r) => (release = r));
    const inWindow = new Promise<void>((r) => (held = r));
    const dan = new TestCore('dan', db.dir, { apiAddress: proxyURL, wsAddress: im.wsAddress });
    await dan.call('Login', 'dan', await im.userToken('dan'));
    await inWindow; // dan is connected and his first sync waits on his profile
    const m = await ann.call('CreateTextMessage', 'during your sync');
    await ann.call('SendMessageNotOss', m, 'dan', '', undefined, false);
    await new Promise((r) => setTimeout(r, 200)); // the push reaches dan and queues behind the sync
    hold = null;
    release();
    await dan.waitFor('OnSyncServerFinish');
    const got = await dan.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === m.clientMsgID), 5000);
    expect((got.data as any[])[0]).toMatchObject({ textElem: { content: 'during your sync' }, sendID: 'ann' });
    expect(dan.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]).filter((x) => x.clientMsgID === m.clientMsgID)).toHaveLength(1);
    await ann.core.close('drain');
    await dan.core.close('drain');
  });
});
