// One session per user across nodes: two gateways ("nodes" A and B) share one IM server that
// kicks same-token duplicates as OpenIM up to v3.8.3 did (--kick-same-token). When the user's
// session starts on B with the token A's session holds, upstream kicks A's core but keeps the
// token valid: A ends its session quietly, closing its tabs with 1012 (GW_SESSION_MOVED) and no
// OnKickedOffline, so open-im-sdk redials instead of giving up. A kick that did revoke the token
// (a newer token logged in on B) is still told as OnKickedOffline. The tab on B is never told.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import type { Gateway } from '../../src/index.ts';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { dropSdk, newSdk, noReconnect, RawClient, upgradeUrl } from '../helpers/client.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { SdkUser } from '../helpers/sdk-events.ts';

let im: TestIm;
const nodes: Gateway[] = [];
const dirs: string[] = [];
const users: SdkUser[] = [];

beforeAll(async () => {
  im = await startTestIm({ kickSameToken: true });
  for (const id of ['node-a', 'node-b']) {
    const dbDir = mkdtempSync(join(tmpdir(), `sdkgate-${id}-`));
    dirs.push(dbDir);
    nodes.push(await startTestGateway(
      { apiAddress: im.apiAddress, wsAddress: im.wsAddress, dbDir, nodeId: id, maxUpgradesPerIp: 1000, idleGraceMs: 60_000 },
      { coreModule: DEFAULT_CORE_MODULE },
    ));
  }
}, 60_000);

afterAll(async () => {
  for (const u of users) {
    noReconnect(u.sdk);
    dropSdk(u.sdk);
  }
  await Promise.all(nodes.map((g) => g.close()));
  await im?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The real client for `userID` on `node`, first sync finished. */
async function loginOn(node: Gateway, userID: string, token: string): Promise<SdkUser> {
  const stackLike = { token: async () => token, im, gateway: node } as unknown as Parameters<typeof SdkUser.login>[0];
  const u = await SdkUser.loginWith(stackLike, userID, newSdk());
  users.push(u);
  return u;
}

async function newToken(userID: string): Promise<string> {
  return (await imPost<{ token: string }>(im.apiAddress, '/auth/get_user_token', { userID, platformID: 5 }, await im.adminToken())).token;
}

describe('one session per user across nodes', () => {
  it('ends the older node\'s session quietly when the same token logs in on another node, and its tabs redial', async () => {
    const [a, b] = nodes as [Gateway, Gateway];
    await im.register('mover');
    await im.register('peer');
    const token = await newToken('mover');
    const onA = await loginOn(a, 'mover', token);
    // A second tab on A that sees every frame and the close code.
    const raw = await RawClient.open(upgradeUrl(a.url, { sendID: 'mover', token, platformID: 5, operationID: 'raw-tab' }));
    expect((await raw.request('Login', ['mover', token])).errCode).toBe(0);
    const sessionA = a.supervisor.get('mover', 5)!.sessionId;

    // The user's session starts on B (a node that came back, a changed hash): same token.
    const onB = await loginOn(b, 'mover', token);
    expect((await raw.whenClosed(15_000)).code).toBe(catalog.GW_SESSION_MOVED.close);
    await expect.poll(() => a.supervisor.get('mover', 5)?.sessionId, { timeout: 15_000, message: 'A\'s session to end' }).not.toBe(sessionA);
    expect(a.supervisor.get('mover', 5)).toBeUndefined();

    // Nobody was told "kicked": the 3.5.2 client on A still redials (its socket manager lives on).
    expect(raw.frames.map((f) => f.event)).not.toContain(CbEvents.OnKickedOffline);
    expect(onA.events.map((e) => e.event)).not.toContain(CbEvents.OnKickedOffline);
    const manager = (onA.sdk as unknown as { wsManager?: { shouldReconnect: boolean } }).wsManager;
    expect(manager?.shouldReconnect).toBe(true);
    noReconnect(onA.sdk); // no proxy here to route it to B

    // B's tab is untouched and chats.
    expect(b.supervisor.get('mover', 5)?.state).toBe('ready');
    expect(onB.events.map((e) => e.event)).not.toContain(CbEvents.OnKickedOffline);
    const peer = await loginOn(b, 'peer', await newToken('peer'));
    const mark = peer.mark();
    const msg = await onB.call<object>(onB.sdk.createTextMessage('after the move'));
    await onB.call(onB.sdk.sendMessage({ recvID: 'peer', groupID: '', message: msg as never }));
    await peer.waitEvent(CbEvents.OnRecvNewMessages, (ms: Array<{ textElem?: { content: string } }>) => ms.some((m) => m.textElem?.content === 'after the move'), mark, 15_000);
    expect(onB.events.map((e) => e.event)).not.toContain(CbEvents.OnKickedOffline);
  }, 90_000);

  it('still tells the tabs OnKickedOffline when the kick revoked their token (a newer token logged in elsewhere)', async () => {
    const [a, b] = nodes as [Gateway, Gateway];
    await im.register('replaced');
    const onA = await loginOn(a, 'replaced', await newToken('replaced'));
    const onB = await loginOn(b, 'replaced', await newToken('replaced')); // marks A's token kicked
    await onA.waitEvent(CbEvents.OnKickedOffline, () => true, 0, 15_000);
    await expect.poll(() => a.supervisor.get('replaced', 5), { timeout: 15_000, message: 'A\'s session to end' }).toBeUndefined();
    expect(b.supervisor.get('replaced', 5)?.state).toBe('ready');
    expect(onB.events.map((e) => e.event)).not.toContain(CbEvents.OnKickedOffline);
  }, 90_000);
});
