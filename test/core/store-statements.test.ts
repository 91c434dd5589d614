// The store's connection keeps its prepared statements (compiling the SQL at every call was most
// of a local read's cost), bounded, and a reused statement behaves like a fresh one.

import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/store/db.ts';
import { tempDir } from './harness.ts';

describe('store statements', () => {
  it('reuses one prepared statement per SQL text, keeps at most 128, and resets it on each use', () => {
    const d = tempDir('core-stmt-');
    const db = openDatabase(d.dir, []);
    try {
      db.exec('CREATE TABLE t (n INTEGER)');
      const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
      for (let i = 0; i < 10; i++) db.prepare('INSERT INTO t (n) VALUES (?)').run(i);
      expect(db.prepare('INSERT INTO t (n) VALUES (?)')).toBe(insert);
      // An iteration left early, then the same statement again: it starts over.
      const sql = 'SELECT n FROM t ORDER BY n';
      for (const r of db.prepare(sql).iterate() as Iterable<{ n: number }>) if (r.n === 2) break;
      expect((db.prepare(sql).all() as { n: number }[]).map((r) => r.n)).toEqual([...Array(10).keys()]);
      // Bounded: the least recently used statement is dropped (and prepared again when asked).
      for (let i = 0; i < 200; i++) db.prepare(`SELECT ${i} AS x`).get();
      expect(db.prepare('INSERT INTO t (n) VALUES (?)')).not.toBe(insert);
    } finally {
      db.close();
      d.cleanup();
    }
  });
});
