// The admin API over HTTP against the real supervisor and workers: listing, fault injection,
// crash restart, quarantine and unquarantine, admin restart, metrics. One user's faults never
// touch another user's session.

import { catalog } from '../../src/errors.ts';
import type { SessionInfo } from '../../src/supervisor/types.ts';
import { answer, noReconnect, settle } from '../helpers/client.ts';
import { GATEWAY_CORE, type Stack } from '../helpers/gateway.ts';
import { describe, expect, test, vi } from '../helpers/fixtures.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

const ADMIN = 'e2e-admin-token';
let stack: Stack;
let base: string;
test.override('stackSetup', {
  overrides: {
    adminToken: ADMIN, faultInjection: true, restartIntensity: 1, restartPeriodMs: 60_000,
    restartBackoffMs: 20, restartBackoffMaxMs: 100,
  },
  deps: { coreModule: GATEWAY_CORE },
});
test.beforeAll(async ({ stack: s }) => {
  stack = s;
  base = stack.gateway.url.replace(/^ws/, 'http');
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function session(userID: string): Promise<SessionInfo | undefined> {
  const r = await admin('GET', '/admin/sessions');
  expect(r.status).toBe(200);
  return (r.json.sessions as SessionInfo[]).find((s) => s.userID === userID);
}

function waitState(userID: string, state: SessionInfo['state'], ms = 10_000): Promise<SessionInfo> {
  return vi.waitFor(async () => {
    const s = await session(userID);
    expect(s?.state, `${userID} ${state}`).toBe(state);
    return s!;
  }, { timeout: ms, interval: 25 });
}

async function sdkFor(userID: string) {
  const sdk = await loggedInSdk(stack, userID);
  noReconnect(sdk);
  return sdk;
}

describe('admin API with the real supervisor', () => {
  test('restarts a faulted worker, quarantines a repeat offender, and unquarantines it', async () => {
    const a = await sdkFor('adm-a');
    const b = await sdkFor('adm-b');
    const first = await session('adm-a');
    expect(first).toMatchObject({ userID: 'adm-a', platformID: 5, state: 'ready', connections: 1, restarts: 0 });
    expect(first!.threadId).toEqual(expect.any(Number));

    // One fault: a restart with the exit classified.
    expect((await admin('POST', '/admin/sessions/adm-a/5/fault', { kind: 'throw' })).status).toBe(200);
    const afterCrash = await vi.waitFor(async () => {
      const s = await session('adm-a');
      expect(s, 'restart after the fault').toMatchObject({ state: 'ready', restarts: expect.any(Number) });
      expect(s!.restarts).toBeGreaterThanOrEqual(1);
      return s!;
    }, { timeout: 10_000, interval: 25 });
    expect(afterCrash.lastExit?.reason).toBe('exception');
    expect(afterCrash.threadId).not.toBe(first!.threadId);
    expect((await answer(b.getTotalUnreadMsgCount())).errCode).toBe(0);
    expect((await answer(a.getTotalUnreadMsgCount())).errCode).toBe(0);

    // A second fault within the window exceeds the intensity (1): quarantine.
    expect((await admin('POST', '/admin/sessions/adm-a/5/fault', { kind: 'exit' })).status).toBe(200);
    await waitState('adm-a', 'quarantined');
    const refused = await settle(a.getTotalUnreadMsgCount());
    expect(refused.ok).toBe(false);
    expect(refused.res.errCode).toBe(catalog.GW_SESSION_QUARANTINED.code);
    expect((await session('adm-b'))?.state).toBe('ready');

    // A fault route on a quarantined session has no worker to hit; restart/unquarantine do apply.
    const bad = await admin('POST', '/admin/sessions/adm-a/5/fault', { kind: 'throw' });
    expect(bad.status).toBe(400);
    expect(bad.json.errCode).toBe(catalog.GW_ADMIN_BAD_REQUEST.code);

    expect((await admin('POST', '/admin/sessions/adm-a/5/unquarantine')).status).toBe(200);
    await waitState('adm-a', 'ready');
    expect((await answer(a.getTotalUnreadMsgCount())).errCode).toBe(0);

    const m = await admin('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/sdkgate_session_exits_total\{reason="exception"\} [1-9]/);
    expect(m.text).toMatch(/^sdkgate_connections 2$/m);
    for (const s of [a, b]) await s.logout();
  }, 60_000);

  test('restarts a ready session on request, keeping its clients', async () => {
    const c = await sdkFor('adm-c');
    const before = await session('adm-c');
    const r = await admin('POST', '/admin/sessions/adm-c/5/restart');
    expect(r.status).toBe(200);
    const after = await waitState('adm-c', 'ready');
    expect(after.threadId).not.toBe(before!.threadId);
    expect(after.connections).toBe(1);
    expect((await answer(c.getTotalUnreadMsgCount())).errCode).toBe(0);
    expect((await admin('POST', '/admin/sessions/adm-c/5/unquarantine')).status).toBe(400);
    expect((await admin('POST', '/admin/sessions/nobody/5/restart')).status).toBe(404);
    await c.logout();
  }, 30_000);
});
