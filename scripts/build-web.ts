// Part of `npm run build` (run by `npm pack`): the browser pages into dist/web/, where the built
// dist/src/gateway/admin-ui.js and dist/src/demo/*.js find them (the same relative path as
// src/ -> web/ in a checkout). The dashboard is plain JavaScript and is copied as-is; the demo's
// script is bundled here, because esbuild and open-im-sdk are dev dependencies that an installed
// package does not have.

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDemoScript } from '../src/demo/bundle.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const pages: Record<string, readonly string[]> = { admin: ['index.html', 'app.js', 'style.css'], demo: ['index.html', 'style.css'] };

for (const [page, files] of Object.entries(pages)) {
  mkdirSync(`${root}dist/web/${page}`, { recursive: true });
  for (const f of files) copyFileSync(`${root}web/${page}/${f}`, `${root}dist/web/${page}/${f}`);
}
writeFileSync(`${root}dist/web/demo/app.js`, await buildDemoScript());
process.stdout.write('built dist/web (dashboard, demo)\n');
