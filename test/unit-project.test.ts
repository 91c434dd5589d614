// The `unit` vitest project stays fast because its files start nothing: no worker, child process,
// socket server or client. A file that needs one belongs to the `integration` project.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNIT_TESTS } from '../vitest.config.ts';

const root = join(import.meta.dirname, '..');

/** Imports that start a worker, a process, a server or a client (the integration toolkit). */
const STARTERS = [
  /from '[./]*\/helpers\/(gateway|im|client|clients|browser|process|fake-im|tcp-proxy|hold-proxy|min-node|upload|fixtures)\.ts'/,
  /from 'node:(child_process|http|https|net)'/,
  /from '(ws|puppeteer-core)'/,
  /\bnew Worker\(/,
];

describe('the unit project', () => {
  it.each(UNIT_TESTS)('%s exists and starts nothing', (file) => {
    expect(existsSync(join(root, file)), file).toBe(true);
    const text = readFileSync(join(root, file), 'utf8');
    expect(STARTERS.filter((re) => re.test(text)).map(String)).toEqual([]);
  });
});
