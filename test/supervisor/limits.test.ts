import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.ts';
import { loadLimits, parseLimits } from '../../src/supervisor/limits.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'sdkgate-limits-')), 'limits.json');
  writeFileSync(f, text);
  return f;
};

describe('per-user limits (--limits-file)', () => {
  it('overrides the global limits for the listed users only', () => {
    const limitsFile = file(JSON.stringify({ users: { vip: { sessionHeapMb: 256, callTimeoutMs: 60_000 } } }));
    const limitsFor = loadLimits(resolveOptions([], {}, { limitsFile, sessionHeapMb: 128 }));
    expect(limitsFor('vip')).toMatchObject({ sessionHeapMb: 256, callTimeoutMs: 60_000, sessionConcurrency: 8 });
    expect(limitsFor('someone')).toMatchObject({ sessionHeapMb: 128, callTimeoutMs: 30_000 });
  });

  it('rejects a bad file with GW_OPTIONS_INVALID naming --limits-file', () => {
    for (const bad of ['nope', '[]', '{"users": []}', '{"users": {"u": {"sessionHeapMb": 1}}}', '{"users": {"u": {"watchdogMs": 100}}}', '{"users": {"u": {"sessionQueue": 1.5}}}']) {
      expect(() => parseLimits(bad), bad).toThrow(/--limits-file/);
    }
    const missing = resolveOptions([], {}, { limitsFile: '/nonexistent/limits.json' });
    expect(() => loadLimits(missing)).toThrow(expect.objectContaining({ errorName: 'GW_OPTIONS_INVALID', detail: { flag: 'limits-file' } }));
  });

  it('applies a user override to that user session only', async () => {
    const limitsFile = file(JSON.stringify({ users: { tight: { sessionConcurrency: 1, sessionQueue: 0 } } }));
    const { supervisor } = makeSupervisor({ limitsFile });
    const tight = fakeClient('tight');
    const roomy = fakeClient('roomy');
    await Promise.all([supervisor.login(tight, 'op'), supervisor.login(roomy, 'op')]);
    const first = supervisor.call(tight, 'Sleep', [200], 'op');
    const second = await settle(supervisor.call(tight, 'Echo', [], 'op'));
    expect(!second.ok && second.error.errorName).toBe('GW_BUSY');
    const roomyCalls = [supervisor.call(roomy, 'Sleep', [200], 'op'), supervisor.call(roomy, 'Echo', ['ok'], 'op')];
    expect(await Promise.all(roomyCalls)).toEqual([200, ['ok']]);
    expect(await first).toBe(200);
  });
});

describe('reload (SIGHUP)', () => {
  it('gives sessions started after it the new limits file, and refuses a bad one keeping the old', async () => {
    const limitsFile = file(JSON.stringify({ users: {} }));
    const { supervisor, options } = makeSupervisor({ limitsFile });
    writeFileSync(limitsFile, JSON.stringify({ users: { later: { sessionConcurrency: 1, sessionQueue: 0 } } }));
    supervisor.reload(options);
    const later = fakeClient('later');
    await supervisor.login(later, 'op');
    const first = supervisor.call(later, 'Sleep', [200], 'op');
    const second = await settle(supervisor.call(later, 'Echo', [], 'op'));
    expect(!second.ok && second.error.errorName).toBe('GW_BUSY');
    await first;

    writeFileSync(limitsFile, '{"users": {"later": {"sessionQueue": -1}}}');
    expect(() => supervisor.reload(options)).toThrow(/--limits-file.*sessionQueue/);
    // The refused file changed nothing: a new session of `later` still gets the reloaded limits.
    await supervisor.logout(later, 'op');
    const again = fakeClient('later');
    await supervisor.login(again, 'op');
    const slow = supervisor.call(again, 'Sleep', [200], 'op');
    expect((await settle(supervisor.call(again, 'Echo', [], 'op'))).ok).toBe(false);
    await slow;
  });

  it('passes the log level to running workers and to workers started later', async () => {
    const h = makeSupervisor({ logLevel: 'warn' });
    const a = fakeClient('lvl-a');
    await h.supervisor.login(a, 'op');
    await h.supervisor.call(a, 'Log', ['info', 'a-before-reload'], 'op');
    h.log.level = 'info'; // what the gateway does before supervisor.reload
    h.supervisor.reload(h.options);
    await h.supervisor.call(a, 'Log', ['info', 'a-after-reload'], 'op');
    const b = fakeClient('lvl-b');
    await h.supervisor.login(b, 'op');
    await h.supervisor.call(b, 'Log', ['info', 'b-after-reload'], 'op');
    const text = h.logs.join('');
    expect(text).not.toContain('a-before-reload');
    expect(text).toContain('a-after-reload');
    expect(text).toContain('b-after-reload');
  });
});
