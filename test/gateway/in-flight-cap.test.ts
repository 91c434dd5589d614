// The in-flight cap of a connection follows the user's limits (--limits-file), not the global
// options: a user whose session has fewer slots gets GW_BUSY from the connection sooner, others
// keep the default cap, and a reloaded file (SIGHUP) applies to open connections at once.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
import { RawClient, upgradeUrl } from '../helpers/client.ts';
import { startStack, testOptions, type Stack } from '../helpers/gateway.ts';

const limitsFile = join(mkdtempSync(join(tmpdir(), 'sdkgate-cap-')), 'limits.json');
const TIGHT = { sessionConcurrency: 1, sessionQueue: 1 }; // two calls in flight at most

let stack: Stack;
const clients: RawClient[] = [];
beforeAll(async () => {
  writeFileSync(limitsFile, JSON.stringify({ users: { 'cap-tight': TIGHT } }));
  stack = await startStack({ limitsFile });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack?.close();
});

async function loggedIn(userID: string): Promise<RawClient> {
  const token = await stack.token(userID);
  const c = await RawClient.open(upgradeUrl(stack.gateway.url, { sendID: userID, token, platformID: 5, operationID: `init-${userID}` }));
  clients.push(c);
  const login = await c.request('Login', [userID, token], { operationID: `init-${userID}`, userID });
  expect(login.errCode, login.errMsg).toBe(0);
  return c;
}

const sleepCall = (c: RawClient, ms: number, operationID: string) =>
  c.request('SearchLocalMessages', [JSON.stringify({ conversationID: '', keywordList: [`sleep:${ms}`] })], { operationID });

describe('a connection\'s in-flight cap', () => {
  it('is the user\'s own sessionConcurrency + sessionQueue: a tight user gets GW_BUSY at 2, a default one does not', async () => {
    const [tight, roomy] = await Promise.all([loggedIn('cap-tight'), loggedIn('cap-roomy')]);
    const held = [sleepCall(tight, 1_500, 't1'), sleepCall(tight, 1_500, 't2')];
    const roomyCalls = [1, 2, 3, 4].map((i) => sleepCall(roomy, 300, `r${i}`));
    const busy = await sleepCall(tight, 0, 't3');
    expect(busy).toMatchObject({ event: 'SearchLocalMessages', errCode: catalog.GW_BUSY.code, operationID: 't3' });
    expect(busy.errMsg).toMatch(/in flight on this connection/);
    // The other user, with the default limits, has four in flight at once and all are answered.
    for (const r of await Promise.all(roomyCalls)) expect(r.errCode, r.errMsg).toBe(0);
    for (const r of await Promise.all(held)) expect(r.errCode, r.errMsg).toBe(0);
    // Slots free again once the calls are answered.
    expect((await sleepCall(tight, 0, 't4')).errCode).toBe(0);
  }, 30_000);

  it('follows a reloaded limits file on an open connection', async () => {
    const roomy = await loggedIn('cap-later');
    writeFileSync(limitsFile, JSON.stringify({ users: { 'cap-tight': TIGHT, 'cap-later': TIGHT } }));
    stack.gateway.supervisor.reload(testOptions({ limitsFile }));
    const held = [sleepCall(roomy, 1_000, 'l1'), sleepCall(roomy, 1_000, 'l2')];
    const busy = await sleepCall(roomy, 0, 'l3');
    expect(busy.errCode).toBe(catalog.GW_BUSY.code);
    expect(busy.errMsg).toMatch(/in flight on this connection/);
    for (const r of await Promise.all(held)) expect(r.errCode, r.errMsg).toBe(0);
  }, 30_000);
});
