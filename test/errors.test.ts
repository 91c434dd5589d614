// The error catalog (table-driven, like undici's test/errors.js): unique codes, every entry
// documented in README.md "## Error codes" with the same numbers, nothing else documented, and
// every entry surviving the trip across the thread boundary.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../src/core/errors.ts';
import { catalog, CoreError, fromWire, gatewayError, GatewayError, httpBody, toWire, type ErrorName, type ErrorSpec } from '../src/errors.ts';

interface Row { name: string; code: number; http: string; close: string; retry: string }

function readmeRows(): Row[] {
  const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = text.indexOf('\n## Error codes');
  expect(start, 'README.md has a "## Error codes" section').toBeGreaterThan(-1);
  const rest = text.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|([^|]*)\|([^|]*)\|([^|]*)\|/.exec(line);
    if (m) rows.push({ name: m[1]!, code: Number(m[2]), http: m[3]!.trim(), close: m[4]!.trim(), retry: m[5]!.trim() });
  }
  return rows;
}

const entries = Object.entries(catalog) as Array<[ErrorName, ErrorSpec]>;

describe('error catalog', () => {
  it('has unique codes in the gateway range', () => {
    const codes = entries.map(([, s]) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, s] of entries) {
      expect(s.code, name).toBeGreaterThanOrEqual(20001);
      expect(s.code, name).toBeLessThanOrEqual(20099);
      expect(name).toMatch(/^GW_[A-Z0-9_]+$/);
    }
  });

  it('is documented in README.md, entry by entry, with the same numbers', () => {
    const rows = readmeRows();
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const [name, s] of entries) {
      const row = byName.get(name);
      expect(row, `${name} is missing from the README table`).toBeDefined();
      expect(row!.code, name).toBe(s.code);
      expect(row!.http, `${name} HTTP`).toBe(s.http === undefined ? '' : String(s.http));
      expect(row!.close, `${name} close`).toBe(s.close === undefined ? '' : String(s.close));
      expect(row!.retry !== '', `${name} retry`).toBe(s.retryable === true);
    }
  });

  it('documents nothing that is not in the catalog, and nothing twice', () => {
    const rows = readmeRows();
    for (const r of rows) expect(Object.hasOwn(catalog, r.name), `${r.name} is documented but not in src/errors.ts`).toBe(true);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(entries)('%s round-trips through toWire/fromWire', (name, spec) => {
    const e = gatewayError(name, 'detail text', { k: 1 });
    const w = toWire(e);
    expect(w).toEqual({ name, code: spec.code, message: e.message, detail: { k: 1 } });
    expect(JSON.parse(JSON.stringify(w))).toEqual(w); // plain data, structured-clone and JSON safe
    const back = fromWire(w) as GatewayError;
    expect(back).toBeInstanceOf(GatewayError);
    expect(back.errorName).toBe(name);
    expect(back.code).toBe(spec.code);
    expect(back.message).toBe(e.message);
    expect(back.http).toBe(spec.http);
    expect(back.close).toBe(spec.close);
    expect(back.retryable).toBe(spec.retryable ?? false);
    expect(back.detail).toEqual({ k: 1 });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('keeps the code of a core error named %s', (name) => {
    const back = fromWire({ name, code: 1234, message: 'm' });
    expect(back).toBeInstanceOf(CoreError);
    expect((back as CoreError).code).toBe(1234);
  });

  it('passes SDK and server codes through unchanged', () => {
    const back = fromWire(toWire(new CodedError(10102, 'LoginRepeatError')));
    expect(back).toBeInstanceOf(CoreError);
    expect((back as CoreError).code).toBe(10102);
    expect(back.message).toBe('LoginRepeatError');
  });

  it('turns unknown errors into GW_INTERNAL without their text', () => {
    const w = toWire(new Error('at /home/x/secret.ts:1'));
    expect(w).toEqual({ name: 'GW_INTERNAL', code: catalog.GW_INTERNAL.code, message: catalog.GW_INTERNAL.message });
    expect(toWire('a string').name).toBe('GW_INTERNAL');
  });

  it('renders the HTTP body as {errCode, errMsg}', () => {
    expect(JSON.parse(httpBody(gatewayError('GW_BAD_TOKEN')))).toEqual({ errCode: catalog.GW_BAD_TOKEN.code, errMsg: catalog.GW_BAD_TOKEN.message });
  });
});
