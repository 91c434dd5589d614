// `--isolation none`: the core runs in the main thread behind the same RPC (an in-thread
// MessageChannel), with no Worker; refused together with --fault-injection.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle, THROWING_CORE } from './harness.ts';

afterAll(disposeAll);

describe('--isolation none', () => {
  it('serves calls and callbacks through the RPC in the main thread, with no Worker and no warm pool', async () => {
    const { supervisor } = makeSupervisor({ isolation: 'none', faultInjection: false });
    expect(supervisor.warmPool).toBeNull();
    const a = fakeClient('inproc');
    await supervisor.login(a, 'op');
    expect(a.names()).toEqual(['OnConnecting', 'OnConnectSuccess']);
    const info = (await supervisor.call(a, 'Info', [], 'op')) as { threadId: number; dataDir: string };
    expect(info.threadId).toBe(threadId);
    expect(supervisor.get('inproc', 5)!.threadId).toBe(threadId);
    // Arguments and results still cross a MessagePort (structured clone), as in thread mode.
    const arg = { nested: [1, 2, { x: 'y' }] };
    const echoed = (await supervisor.call(a, 'Echo', [arg], 'op')) as unknown[];
    expect(echoed).toEqual([arg]);
    expect(echoed[0]).not.toBe(arg);
    await supervisor.call(a, 'Emit', ['OnTick', 3], 'op');
    await a.waitFor((e) => e.event === 'OnTick' && JSON.parse(e.data).seq === 2);
    // Two users share the thread, not their data.
    const b = fakeClient('inproc2');
    await supervisor.login(b, 'op');
    const infoB = (await supervisor.call(b, 'Info', [], 'op')) as { threadId: number; dataDir: string };
    expect(infoB.threadId).toBe(threadId);
    expect(infoB.dataDir).not.toBe(info.dataDir);
  });

  it('closes the core on logout (the same shutdown message) and a fresh login opens it again', async () => {
    const { supervisor } = makeSupervisor({ isolation: 'none', faultInjection: false });
    const a = fakeClient('inproc-out');
    await supervisor.login(a, 'op');
    const { dataDir } = (await supervisor.call(a, 'Info', [], 'op')) as { dataDir: string };
    await supervisor.logout(a, 'op');
    expect(readFileSync(join(dataDir, 'closes.log'), 'utf8').trim()).toBe('logout');
    expect(supervisor.get('inproc-out', 5)).toBeUndefined();
    const again = fakeClient('inproc-out');
    await supervisor.login(again, 'op');
    const info = (await supervisor.call(again, 'Info', [], 'op')) as { opens: number };
    expect(info.opens).toBe(2);
  });

  it('reports a core that fails to start as the same typed error', async () => {
    const { supervisor } = makeSupervisor({ isolation: 'none', faultInjection: false }, { coreModule: THROWING_CORE });
    const r = await settle(supervisor.login(fakeClient('inproc-bad'), 'op'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBeTypeOf('number');
    await expect.poll(() => supervisor.get('inproc-bad', 5) === undefined, { timeout: 5_000, message: 'the failed session to stop' }).toBe(true);
  });

  it('is refused together with --fault-injection', () => {
    let err: unknown;
    try {
      resolveOptions(['--isolation', 'none', '--fault-injection']);
    } catch (e) {
      err = e;
    }
    expect(isGatewayError(err, 'GW_OPTIONS_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/isolation none/);
  });
});
