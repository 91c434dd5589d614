// Memory-budget admission: max sessions = (budget − headroom) / session cost − spares. Over it,
// a login evicts the least recently used idle session; with none idle it fails with GW_CAPACITY.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionDataDir } from '../../src/ids.ts';
import { resolveOptions } from '../../src/options.ts';
import { capacity } from '../../src/supervisor/admission.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

/** Room for exactly two sessions. */
const TWO = { memoryBudgetMb: 100, memoryHeadroomMb: 0, sessionCostMb: 50, warmPool: 0 };

function closes(dbDir: string, userID: string): string[] {
  const f = join(sessionDataDir(dbDir, userID, 5), 'closes.log');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

describe('capacity()', () => {
  it('divides the budget minus headroom by the session cost, less the warm spares', () => {
    const o = resolveOptions([], {}, { memoryBudgetMb: 16_384, memoryHeadroomMb: 1024, sessionCostMb: 10 });
    expect(capacity(o, 0).maxSessions).toBe(1536);
    expect(capacity(o, 2).maxSessions).toBe(1534);
    // 0 = the machine's RAM.
    const auto = resolveOptions([], {}, { memoryHeadroomMb: 1024, sessionCostMb: 10 });
    expect(capacity(auto, 0, 8 * 1024 ** 3).maxSessions).toBe(716);
    expect(() => resolveOptions(['--memory-budget-mb', '512', '--memory-headroom-mb', '512'])).toThrow(/headroom/);
  });
});

describe('admission', () => {
  it('evicts the least recently used idle session to admit a login over capacity', async () => {
    const { supervisor, dbDir } = makeSupervisor(TWO);
    expect(supervisor.capacity.maxSessions).toBe(2);
    const a = fakeClient('adm-a');
    const b = fakeClient('adm-b');
    await supervisor.login(a, 'op');
    await supervisor.login(b, 'op');
    supervisor.detach(a); // idle first
    await new Promise((r) => setTimeout(r, 5));
    supervisor.detach(b); // idle later
    const c = fakeClient('adm-c');
    await supervisor.login(c, 'op');
    expect(closes(dbDir, 'adm-a')).toEqual(['idle']);
    expect(closes(dbDir, 'adm-b')).toEqual([]);
    expect(supervisor.get('adm-a', 5)).toBeUndefined();
    expect(supervisor.get('adm-b', 5)?.state).toBe('ready');
    expect(supervisor.list()).toHaveLength(2);
  });

  it('evicts an idle session before touching one in use, and refuses with GW_CAPACITY (retryable) when none is idle', async () => {
    const { supervisor, dbDir } = makeSupervisor(TWO);
    const busy = fakeClient('adm-busy');
    const idle = fakeClient('adm-idle');
    await supervisor.login(busy, 'op');
    await supervisor.login(idle, 'op');
    supervisor.detach(idle);
    const c = fakeClient('adm-new');
    await supervisor.login(c, 'op');
    expect(closes(dbDir, 'adm-idle')).toEqual(['idle']);
    expect(supervisor.get('adm-busy', 5)?.state).toBe('ready');

    const d = fakeClient('adm-refused');
    const r = await settle(supervisor.login(d, 'op'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.errorName).toBe('GW_CAPACITY');
      expect(r.error.code).toBe(20014);
      expect(r.error.retryable).toBe(true);
    }
    expect(supervisor.get('adm-refused', 5)).toBeUndefined();
    // Sessions in use are untouched, and another tab of a running session still attaches.
    expect(await supervisor.call(busy, 'Echo', [1], 'op')).toEqual([1]);
    const tab = fakeClient('adm-busy');
    await supervisor.login(tab, 'op');
    expect(supervisor.get('adm-busy', 5)!.connections).toBe(2);
    // Room again once a session ends.
    await supervisor.logout(c, 'op');
    await supervisor.login(fakeClient('adm-refused'), 'op');
  });

  it('never overshoots with concurrent logins', async () => {
    const { supervisor } = makeSupervisor(TWO);
    const results = await Promise.all(['x1', 'x2', 'x3', 'x4'].map((u) => settle(supervisor.login(fakeClient(`adm-${u}`), 'op'))));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results) if (!r.ok) expect(r.error.errorName).toBe('GW_CAPACITY');
    expect(supervisor.list()).toHaveLength(2);
  });
});
