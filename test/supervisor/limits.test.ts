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
