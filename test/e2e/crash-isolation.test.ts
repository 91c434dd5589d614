// Crash isolation as an operator tests it: real open-im-sdk@3.5.2 clients, the admin fault
// route, a fault of each kind in user A's worker while A has calls in flight. A's calls fail
// with GW_SESSION_CRASHED, user B's concurrent calls all succeed, and A answers again.
// (Supervisor-level detail per kind — classification, bounds, restarts — is in
// test/supervisor/faults.test.ts.)

import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import type { FaultKind } from '../../src/protocol.ts';
import { GATEWAY_CORE, type Stack } from '../helpers/gateway.ts';
import { settle } from '../helpers/client.ts';
import { describe, expect, test, vi } from '../helpers/fixtures.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

const ADMIN = 'admin-secret';
let stack: Stack;

test.override('stackSetup', {
  overrides: {
    faultInjection: true,
    adminToken: ADMIN,
    watchdogMs: 500,
    restartBackoffMs: 20,
    restartBackoffMaxMs: 100,
    restartIntensity: 100,
    sessionHeapMb: 32,
  },
  deps: { coreModule: GATEWAY_CORE },
});
test.beforeAll(async ({ stack: s }) => {
  stack = s;
});

async function admin(path: string, body?: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${stack.gateway.address.port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const login = (userID: string): Promise<OpenIMSDK> => loggedInSdk(stack, userID);

const sleepCall = (sdk: OpenIMSDK) => sdk.searchLocalMessages({ conversationID: 'c', keywordList: ['sleep:20000'] });

describe('a fault in one user\'s worker', () => {
  for (const kind of ['throw', 'reject', 'exit', 'loop', 'oom'] as const satisfies readonly FaultKind[]) {
    test(`'${kind}': fails A's in-flight calls with ${catalog.GW_SESSION_CRASHED.code}, B is untouched, A answers again`, async () => {
      const a = await login(`ua-${kind}`);
      const b = await login(`ub-${kind}`);
      const connecting: unknown[] = [];
      a.on(CbEvents.OnConnecting, (e: unknown) => connecting.push(e));

      const inFlight = [sleepCall(a), sleepCall(a)].map((p) => settle(p, 15_000));
      await new Promise((r) => setTimeout(r, 100));
      // B keeps calling through A's whole crash episode.
      let stopB = false;
      const bCalls: Array<Promise<{ ok: boolean; res: { errCode: number } }>> = [];
      const bLoop = (async () => {
        while (!stopB && bCalls.length < 500) {
          const p = settle(b.getSelfUserInfo(), 15_000);
          bCalls.push(p);
          await p;
          // Stay under the per-connection rate limit (--rate-per-conn): this is load, not abuse.
          await new Promise((ok) => setTimeout(ok, 25));
        }
      })();

      // Fault only once B is demonstrably mid-stream.
      for (let i = 0; i < 200 && bCalls.length < 3; i++) await new Promise((ok) => setTimeout(ok, 10));
      const res = await admin(`/admin/sessions/ua-${kind}/5/fault`, { kind });
      expect(res.status).toBe(200);

      for (const o of await Promise.all(inFlight)) {
        expect(o.ok).toBe(false);
        expect(o.res.errCode).toBe(catalog.GW_SESSION_CRASHED.code);
      }
      expect(connecting.length).toBeGreaterThanOrEqual(1);

      // A is served again by a new worker (the admin API shows the classified exit).
      await vi.waitFor(async () => {
        const r = await settle(a.getSelfUserInfo(), 5_000);
        expect(r.ok, `A never recovered: ${JSON.stringify(r.res)}`).toBe(true);
      }, { timeout: 10_000, interval: 100 });
      stopB = true;
      await bLoop;
      expect(bCalls.length).toBeGreaterThanOrEqual(3);
      for (const o of await Promise.all(bCalls)) expect(o.ok, JSON.stringify(o.res)).toBe(true);

      const sessions = (await (await admin('/admin/sessions')).json()) as { sessions: Array<{ userID: string; restarts: number; lastExit: { reason: string } | null }> };
      const info = sessions.sessions.find((s) => s.userID === `ua-${kind}`)!;
      expect(info.restarts).toBe(1);
      expect(info.lastExit?.reason).toBe({ throw: 'exception', reject: 'unhandled_rejection', exit: 'exit', loop: 'watchdog', oom: 'oom' }[kind]);
      expect(sessions.sessions.find((s) => s.userID === `ub-${kind}`)!.restarts).toBe(0);

      await Promise.all([a.logout().catch(() => undefined), b.logout().catch(() => undefined)]);
    }, 30_000);
  }
});

