#!/usr/bin/env node
// The sources are TypeScript run by Node's type stripping (Node >= 22.18 / 23.6 strips by default).
// On 22.13–22.17 stripping needs a flag, so re-exec once with it rather than ship a build step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (process.features.typescript) {
  await import(cli);
} else {
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
