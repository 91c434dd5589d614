// docs/core.md lists every RequestApi function of open-im-sdk@3.5.2 (the one copy of the table), and its "implemented" rows
// are exactly the functions the core registers ("client-side" ones run inside open-im-sdk).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.ts';
import { tempDir } from './harness.ts';

const root = join(import.meta.dirname, '..', '..');

describe.each(['docs/core.md'])('%s', (file) => {
  it('has one row per RequestApi function, and its implemented rows are the registered functions', async () => {
    const api = readFileSync(join(root, 'node_modules/open-im-sdk/src/constant/api.ts'), 'utf8');
    const body = api.slice(api.indexOf('enum RequestApi'));
    const names = [...body.slice(0, body.indexOf('}')).matchAll(/=\s*'([A-Za-z]+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(100);
    const doc = readFileSync(join(root, file), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([A-Za-z]+)` \| [a-z]+ \| (implemented|not implemented|client-side) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect([...rows.keys()].sort()).toEqual([...names].sort());
    const d = tempDir('core-docs-');
    const core = await createCore({
      userID: 'u1',
      platformID: 5,
      dataDir: d.dir,
      apiAddress: 'http://127.0.0.1:1',
      wsAddress: 'ws://127.0.0.1:1',
      emit() {},
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const implemented = [...rows].filter(([, s]) => s === 'implemented').map(([n]) => n).sort();
    expect(Object.keys(core.functions).sort()).toEqual(implemented);
    await core.close('drain');
    d.cleanup();
  });
});
