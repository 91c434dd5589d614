// Process isolation as an operator sees it: real open-im-sdk@3.5.2 clients, the admin fault
// route and GET /admin/chaos. A native fault (abort, segfault, sigkill, fd exhaustion) in user
// A's session process fails A's in-flight calls with GW_SESSION_CRASHED while B's calls all
// succeed; a thread gateway refuses those kinds (409, GW_FAULT_NEEDS_PROCESS); and the chaos
// report agrees with what the clients themselves saw.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenIMSDK } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import type { ChaosReport } from '../../src/supervisor/types.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { settle } from '../helpers/client.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

const ADMIN = 'admin-secret';
const BASE = { faultInjection: true, adminToken: ADMIN, watchdogMs: 500, restartBackoffMs: 20, restartBackoffMaxMs: 100, restartIntensity: 1000 };

async function admin(stack: Stack, path: string, body?: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${stack.gateway.address.port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const login = (stack: Stack, userID: string): Promise<OpenIMSDK> => loggedInSdk(stack, userID);

const sleepCall = (sdk: OpenIMSDK) => sdk.searchLocalMessages({ conversationID: 'c', keywordList: ['sleep:20000'] });

/** The SDK's calls, one after another `gapMs` apart, until stopped; the outcomes. */
function keepCalling(sdk: OpenIMSDK, gapMs = 25): { stop: () => Promise<Array<{ ok: boolean; res: { errCode: number } }>> } {
  let stopped = false;
  const out: Array<Promise<{ ok: boolean; res: { errCode: number } }>> = [];
  const loop = (async () => {
    while (!stopped && out.length < 50_000) {
      const p = settle(sdk.getSelfUserInfo(), 15_000);
      out.push(p);
      await p;
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs)); // under --rate-per-conn
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return Promise.all(out);
    },
  };
}

describe('--isolation process, native faults through the admin API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ...BASE, isolation: 'process', sessionOpenFiles: 256 });
  });
  afterAll(async () => stack?.close());

  for (const [kind, reason] of [['abort', 'native_crash'], ['segfault', 'native_crash'], ['sigkill', 'killed'], ['fd-exhaustion', 'fd_limit']] as const) {
    it(`'${kind}': fails A's in-flight calls with ${catalog.GW_SESSION_CRASHED.code}, B is untouched, A answers again`, async () => {
      const a = await login(stack, `pa-${kind}`);
      const b = await login(stack, `pb-${kind}`);
      const inFlight = [sleepCall(a), sleepCall(a)].map((p) => settle(p, 15_000));
      await new Promise((r) => setTimeout(r, 100));
      const bLoad = keepCalling(b);
      await new Promise((r) => setTimeout(r, 100));
      expect((await admin(stack, `/admin/sessions/pa-${kind}/5/fault`, { kind })).status).toBe(200);
      for (const o of await Promise.all(inFlight)) expect(o.res.errCode).toBe(catalog.GW_SESSION_CRASHED.code);
      await expect.poll(async () => (await settle(a.getSelfUserInfo(), 5_000)).ok, { timeout: 10_000, interval: 100, message: 'A recovered' }).toBe(true);
      const bOut = await bLoad.stop();
      expect(bOut.length).toBeGreaterThanOrEqual(3);
      for (const o of bOut) expect(o.ok, JSON.stringify(o.res)).toBe(true);
      const { sessions } = (await (await admin(stack, '/admin/sessions')).json()) as { sessions: Array<{ userID: string; restarts: number; isolation: string; lastExit: { reason: string } | null }> };
      expect(sessions.find((s) => s.userID === `pa-${kind}`)).toMatchObject({ restarts: 1, isolation: 'process', lastExit: { reason } });
      expect(sessions.find((s) => s.userID === `pb-${kind}`)).toMatchObject({ restarts: 0 });
      await Promise.all([a.logout().catch(() => undefined), b.logout().catch(() => undefined)]);
    }, 30_000);
  }
});

describe('--isolation thread refuses what a thread cannot contain', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ...BASE, isolation: 'thread' });
  });
  afterAll(async () => stack?.close());

  it('answers 409 GW_FAULT_NEEDS_PROCESS for a native fault kind and leaves the session running', async () => {
    const a = await login(stack, 'ta-native');
    for (const kind of ['abort', 'segfault', 'sigkill', 'fd-exhaustion']) {
      const res = await admin(stack, '/admin/sessions/ta-native/5/fault', { kind });
      expect(res.status).toBe(409);
      const body = (await res.json()) as { errCode: number; errMsg: string };
      expect(body.errCode).toBe(catalog.GW_FAULT_NEEDS_PROCESS.code);
      expect(body.errMsg).toMatch(/--isolation process/);
    }
    expect((await settle(a.getSelfUserInfo())).ok).toBe(true);
    expect((await (await admin(stack, '/admin/chaos')).json()) as ChaosReport).toEqual({ enabled: false });
    await a.logout().catch(() => undefined);
  });
});

describe('GET /admin/chaos', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      ...BASE, isolation: 'process', chaos: true, chaosSeed: 77, chaosIntervalMs: 400,
      chaosKinds: ['throw', 'abort', 'segfault', 'sigkill'],
      // Back-to-back calls: every session always has one in flight, so every fault has neighbours' calls to judge.
      ratePerConn: 100_000, rateBurst: 100_000,
    });
  });
  afterAll(async () => stack?.close());

  it('reports every injected fault contained, and agrees with what the clients saw', { timeout: 60_000 }, async () => {
    const users = ['cx1', 'cx2', 'cx3'];
    const sdks = await Promise.all(users.map((u) => login(stack, u)));
    const loadFrom = Date.now();
    const loads = sdks.map((s) => keepCalling(s, 0));
    const report = async () => (await (await admin(stack, '/admin/chaos')).json()) as ChaosReport;
    const t0 = Date.now();
    const busy = (r: ChaosReport) => (r.faults ?? []).filter((f) => Date.parse(f.at) > loadFrom + 100).length;
    while (busy(await report()) < 3) {
      if (Date.now() - t0 > 45_000) throw new Error(`too few faults judged: ${JSON.stringify(await report())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const outcomes = await Promise.all(loads.map((l) => l.stop()));
    const injected = (await report()).injected!;
    await expect.poll(async () => (await report()).faults!.length, { timeout: 60_000, interval: 100, message: 'every injected fault judged' }).toBeGreaterThanOrEqual(injected);
    const r = await report();
    const faults = r.faults!.slice(0, injected);
    expect(r).toMatchObject({ enabled: true, seed: 77, kinds: ['throw', 'abort', 'segfault', 'sigkill'] });
    for (const f of faults) {
      expect(f.contained, `${f.kind} on ${f.userID}: ${f.why.join('; ')}`).toBe(true);
      // Chaos starts with the gateway: a fault before the clients were busy had nobody to disturb.
      if (Date.parse(f.at) > loadFrom + 100) {
        expect(f.others.sessions).toBe(2);
        expect(f.others.calls).toBeGreaterThan(0);
      }
    }
    // The clients agree: a user that was never a victim never saw a failed call.
    const victims = new Set(faults.map((f) => f.userID));
    users.forEach((u, i) => {
      if (!victims.has(u)) for (const o of outcomes[i]!) expect(o.ok, `${u}: ${JSON.stringify(o.res)}`).toBe(true);
    });
    expect(busy(r)).toBeGreaterThanOrEqual(3);
    await Promise.all(sdks.map((s) => s.logout().catch(() => undefined)));
  });
});
