// What an operator reads, from a real client through the real core: per-function counts by
// outcome and latency; an upstream business error (1301, adding yourself as a friend) counted
// as such and never as a gateway refusal; gateway refusals by code; upstream REST by route
// family (from inside the workers); sessions by state; the per-session heap as a distribution;
// no label that names a user. Each failed call logged once, at a level that fits, without its
// arguments, and every line with the node id and version.

import { catalog } from '../../src/errors.ts';
import { VERSION } from '../../src/version.ts';
import { answer, newSdk, RawClient, settle, upgradeUrl } from '../helpers/client.ts';
import { captureLogger, type Stack } from '../helpers/gateway.ts';
import { describe, expect, test, vi } from '../helpers/fixtures.ts';

const cap = captureLogger('debug');
let stack: Stack;
let base: string;

test.override('stackSetup', { overrides: { metricsToken: 'metrics-only', adminToken: 'adm', nodeId: 'node-a' }, deps: { log: cap.log } });
test.beforeAll(async ({ stack: s }) => {
  stack = s;
  base = stack.gateway.url.replace(/^ws/, 'http');
});

async function metrics(token = 'metrics-only'): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('metrics and logs of calls', () => {
  test('count by function and outcome, an upstream business error apart from gateway refusals, and log each failure once', async () => {
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'met1', token: await stack.token('met1'), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 30_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    expect((await answer(sdk.getTotalUnreadMsgCount())).errCode).toBe(0);
    const secret = 'an-argument-that-must-not-be-logged';
    const added = await settle(sdk.addFriend({ toUserID: 'met1', reqMsg: secret } as unknown as string));
    expect(added.res.errCode).toBe(1301); // CanNotAddYourself, from the IM server

    // A gateway refusal: a function that is not on the allow-list, with a made-up name.
    const raw = await RawClient.open(upgradeUrl(stack.gateway.url, { sendID: 'met2', token: await stack.token('met2'), platformID: 5, operationID: 'o' }));
    expect((await raw.request('NoSuchFunction_x1', [])).errCode).toBe(catalog.GW_UNKNOWN_FUNCTION.code);
    await raw.close();

    const text = await metrics();
    expect(value(text, 'sdkgate_calls_total{function="GetTotalUnreadMsgCount",outcome="ok"}')).toBe(1);
    expect(value(text, 'sdkgate_calls_total{function="AddFriend",outcome="business_error"}')).toBe(1);
    expect(value(text, 'sdkgate_call_errors_total{outcome="business_error",code="1301"}')).toBe(1);
    expect(text).not.toMatch(/outcome="refused",code="1301"/);
    expect(value(text, 'sdkgate_calls_total{function="unknown",outcome="refused"}')).toBe(1);
    expect(value(text, `sdkgate_call_errors_total{outcome="refused",code="${catalog.GW_UNKNOWN_FUNCTION.code}"}`)).toBe(1);
    expect(value(text, 'sdkgate_call_duration_seconds_count{function="AddFriend"}')).toBe(1);
    expect(value(text, 'sdkgate_calls_total{function="Login",outcome="ok"}')).toBe(1);
    expect(value(text, 'sdkgate_sessions{state="ready"}')).toBe(1);
    // The cores' REST calls, by route family, from inside the worker; the token checks too.
    expect(value(text, 'sdkgate_upstream_rest_duration_seconds_count{family="friend",outcome="business_error"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'sdkgate_upstream_rest_duration_seconds_count{family="user",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'sdkgate_upstream_rest_duration_seconds_count{family="auth",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'sdkgate_upstream_ws_connects_total{result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain(`sdkgate_build_info{version="${VERSION}",node="node-a"} 1`);
    // The made-up function name and the user never become label values.
    expect(text).not.toContain('NoSuchFunction_x1');
    expect(text).not.toContain('met1');

    // One line per failed call, at info for a business error, with what identifies it.
    const failures = cap.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'call failed' || l.msg === 'call refused');
    const addFriend = failures.filter((l) => l.fn === 'AddFriend');
    expect(addFriend).toHaveLength(1);
    expect(addFriend[0]).toMatchObject({ level: 30, code: 1301, outcome: 'business_error', operationID: expect.any(String) });
    expect(failures.filter((l) => l.code === catalog.GW_UNKNOWN_FUNCTION.code)).toEqual([expect.objectContaining({ level: 30, outcome: 'refused', msg: 'call refused' })]);
    expect(cap.text()).not.toContain(secret);
    // Every line: the node id and the version.
    for (const line of cap.lines) expect(JSON.parse(line), line).toMatchObject({ node: 'node-a', version: VERSION });
    sdk.logout().catch(() => {});
  }, 60_000);

  test('show the per-session heap as one distribution over sessions, not a series per user', async () => {
    const sdk = newSdk();
    const { ok } = await settle(sdk.login({ userID: 'heap1', token: await stack.token('heap1'), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 30_000);
    expect(ok).toBe(true);
    // Telemetry arrives about once a second.
    const text = await vi.waitFor(async () => {
      const t = await metrics();
      expect(value(t, 'sdkgate_session_heap_bytes_count'), 'a heap sample').toBeGreaterThanOrEqual(1);
      return t;
    }, { timeout: 15_000, interval: 100 });
    expect(value(text, 'sdkgate_session_heap_bytes_sum')).toBeGreaterThan(1024 * 1024);
    expect(text.split('\n').filter((l) => l.startsWith('sdkgate_session_heap_bytes_bucket')).every((l) => !l.includes('user'))).toBe(true);
    sdk.logout().catch(() => {});
  }, 60_000);

  test('serve /metrics to the read-only metrics token, which does not open /admin', async () => {
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-only' } })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer adm' } })).status).toBe(200);
    expect((await fetch(`${base}/admin/sessions`, { headers: { authorization: 'Bearer metrics-only' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});
