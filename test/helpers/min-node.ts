// The lowest Node the package supports (package.json `engines`), installed from the npm registry
// (the `node-<platform>-<arch>` package ships the official binary) into node_modules/.cache once,
// so tests can launch sdkgate with it. ~30 MB, a few seconds the first time.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePath } from './process.ts';

/** Keep in step with `engines.node` (test/node-min.test.ts checks). */
export const MIN_NODE = '22.13.1';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function enginesFloor(): string {
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  return /^>=\s*(\d+\.\d+)/.exec(engines)?.[1] ?? engines;
}

/** Path of the node binary of MIN_NODE, installing it on first use. */
export function minNode(): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(ROOT, 'node_modules', '.cache', `sdkgate-node-${MIN_NODE}`);
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sdkgate-min-node', private: true }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${MIN_NODE}`], {
    cwd: dir,
    env: { PATH: nodePath(), HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (!existsSync(bin)) throw new Error(`${pkg}@${MIN_NODE} installed no ${bin}`);
  return bin;
}
