// Through the whole stack (real IM server, gateway, supervisor, workers, the gateway fixture
// core): a Login over the memory budget reaches the client as GW_CAPACITY (20014), after the
// idle session was evicted first; and --isolation none serves a logged-in client with the same
// answers as thread mode.

import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, upgradeUrl } from '../helpers/client.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

const stacks: Stack[] = [];
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
});

async function open(stack: Stack, userID: string): Promise<RawClient> {
  return RawClient.open(upgradeUrl(stack.gateway.url, { sendID: userID, token: await stack.token(userID), platformID: 5, operationID: `init-${userID}` }));
}

async function login(stack: Stack, c: RawClient, userID: string): Promise<{ errCode: number; errMsg: string }> {
  return c.request('Login', [userID, await stack.token(userID)]);
}

describe('memory-budget admission on the wire', () => {
  it('evicts the idle session for a new login, then answers Login with 20014 when every session is in use', async () => {
    // Room for two sessions, no spares.
    const stack = await startStack({ memoryBudgetMb: 100, memoryHeadroomMb: 0, sessionCostMb: 50, warmPool: 0 });
    stacks.push(stack);
    const a = await open(stack, 'capa');
    expect((await login(stack, a, 'capa')).errCode).toBe(0);
    await a.close(); // capa's session is idle now (in its grace)
    const b = await open(stack, 'capb');
    expect((await login(stack, b, 'capb')).errCode).toBe(0);
    const c = await open(stack, 'capc');
    expect((await login(stack, c, 'capc')).errCode).toBe(0); // capa evicted
    expect(stack.gateway.supervisor.get('capa', 5)).toBeUndefined();

    const d = await open(stack, 'capd');
    const refused = await login(stack, d, 'capd');
    expect(refused.errCode).toBe(20014);
    // The connection stays usable: the client may retry later.
    await b.close();
    await c.request('Logout', []);
    expect((await login(stack, d, 'capd')).errCode).toBe(0);
    await Promise.all([c.close(), d.close()]);
  });
});

describe('--isolation none on the wire', () => {
  it('logs in and answers core calls with the gateway fixture core in the main thread', async () => {
    const stack = await startStack({ isolation: 'none' });
    stacks.push(stack);
    const c = await open(stack, 'inproc');
    expect((await login(stack, c, 'inproc')).errCode).toBe(0);
    const status = await c.request('GetLoginStatus', []);
    expect(status.errCode).toBe(0);
    expect(status.data).toBe('3');
    const self = await c.request('GetSelfUserInfo', []);
    expect(self.errCode).toBe(0);
    expect(JSON.parse(self.data).threadId).toBe(0);
    await c.close();
  });
});
