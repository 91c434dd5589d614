// Rewrites the README's options tables from src/options.ts (test/options.test.ts fails until
// they match): `node scripts/readme-options.ts` after adding or changing an option.

import { readFileSync, writeFileSync } from 'node:fs';
import { optionsTable } from '../src/options.ts';

const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const section = text.indexOf('\n## Options\n');
const start = text.indexOf('\n**', section) + 1;
const end = text.indexOf('\n## ', section + 1);
if (section < 0 || start <= section || end < 0 || start > end) throw new Error('README.md: no "## Options" section with tables');
writeFileSync(file, `${text.slice(0, start)}${optionsTable()}\n${text.slice(end)}`);
