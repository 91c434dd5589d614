// Tokens and Login arguments never reach a log line: capture everything the gateway, the
// supervisor and the workers log (debug level, through one destination stream) during real
// logins and calls, including refused upgrades, then grep it for the tokens.

import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CORE_MODULE } from '../src/supervisor/index.ts';
import { answer, inBandRefusal, newSdk, noReconnect, RawClient, rawUpgrade, settle, upgradeUrl } from './helpers/client.ts';
import { captureLogger, GATEWAY_CORE, startStack, type Stack } from './helpers/gateway.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function exercise(s: Stack, userID: string): Promise<string[]> {
  const token = await s.token(userID);
  const other = await s.token(`${userID}-other`);
  const sdk = newSdk();
  const { ok, res } = await settle(sdk.login({ userID, token, platformID: 5, apiAddr: s.im.apiAddress, wsAddr: s.gateway.url }), 20_000);
  expect(ok, JSON.stringify(res)).toBe(true);
  noReconnect(sdk);
  const r = await answer(sdk.getTotalUnreadMsgCount());
  expect(r.errCode).toBe(0);
  await settle(sdk.createTextMessage('hello'));
  // A raw Login whose frame carries the token as an argument, and one refused for another user.
  const raw = await RawClient.open(upgradeUrl(s.gateway.url, { sendID: userID, token, platformID: 5, operationID: 'raw' }));
  expect((await raw.request('Login', [userID, token])).errCode).toBe(0);
  await raw.request('Login', ['someone-else', token]);
  raw.sendRaw(`{"reqFuncName":"Login","data":"[\\"${userID}\\",\\"${token}\\"`); // malformed, token inside
  await raw.next((f) => f.event === 'Protocol Error');
  await raw.close();
  // Refused upgrades: the wrong user's token, and a token the server does not know.
  expect((await inBandRefusal(upgradeUrl(s.gateway.url, { sendID: userID, token: other, platformID: 5, operationID: 'x' }))).code).toBe(4403);
  expect((await inBandRefusal(upgradeUrl(s.gateway.url, { sendID: userID, token: `${token}x`, platformID: 5, operationID: 'x' }))).code).toBe(4401);
  expect((await rawUpgrade(upgradeUrl(s.gateway.url, { sendID: userID, token: `${token}x`, platformID: 0, operationID: 'x' }))).status).toBe(400);
  await sdk.logout();
  return [token, other];
}

describe('logs', () => {
  it('never contain a token or Login arguments (fixture core)', async () => {
    const cap = captureLogger('trace');
    stack = await startStack({}, { log: cap.log, coreModule: GATEWAY_CORE });
    const tokens = await exercise(stack, 'logger1');
    await stack.close();
    stack = undefined;
    const text = cap.text();
    expect(cap.lines.length).toBeGreaterThan(10);
    expect(text).toMatch(/"msg":"connected"/);
    expect(text).toMatch(/"msg":"upgrade refused"/);
    for (const t of tokens) {
      expect(text.includes(t), 'a token is in the logs').toBe(false);
      expect(text.includes(encodeURIComponent(t)), 'an encoded token is in the logs').toBe(false);
      expect(text.includes(t.slice(-24)), 'a token fragment is in the logs').toBe(false);
    }
  });

  it('never contain a token with the real SDK core', async () => {
    const cap = captureLogger('trace');
    stack = await startStack({}, { log: cap.log, coreModule: DEFAULT_CORE_MODULE });
    const tokens = await exercise(stack, 'logger2');
    await stack.close();
    stack = undefined;
    const text = cap.text();
    expect(cap.lines.length).toBeGreaterThan(10);
    for (const t of tokens) {
      expect(text.includes(t), 'a token is in the logs').toBe(false);
      expect(text.includes(t.slice(-24)), 'a token fragment is in the logs').toBe(false);
    }
  });
});
