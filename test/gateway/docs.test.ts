import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFunctionTable } from '../../src/gateway/functions.ts';

describe('docs/gateway.md', () => {
  it('contains the generated function table', () => {
    const doc = readFileSync(new URL('../../docs/gateway.md', import.meta.url), 'utf8');
    const start = doc.indexOf('<!-- functions:begin (generated) -->');
    const end = doc.indexOf('<!-- functions:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const table = doc.slice(start, end).split('\n').slice(1).join('\n').trim();
    expect(table).toBe(renderFunctionTable());
  });
});
