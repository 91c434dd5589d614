// The demo page's script: web/demo/app.ts and the unmodified open-im-sdk@3.5.2, bundled by
// esbuild into one file. In a checkout it is built in memory the first time a browser asks for
// it (then kept): nothing is committed or written to disk, and `make run` / `npm start` need
// nothing beyond `npm ci`. The package is built at `npm pack` (scripts/build-web.ts), which
// writes the bundle beside index.html (dist/web/demo/app.js), since esbuild and open-im-sdk are
// dev dependencies the installed package does not have. Without either, /demo/ answers 503
// saying what is missing.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const DEMO_DIR = fileURLToPath(new URL('../../web/demo/', import.meta.url));
/** Only the package has it: a checkout's web/demo/ holds app.ts. */
const PREBUILT = DEMO_DIR + 'app.js';

export class DemoUnavailable extends Error {}

let built: Promise<string> | undefined;

/** The bundled script (built once per process; a failed build is retried on the next request). */
export function demoBundle(): Promise<string> {
  built ??= existsSync(PREBUILT) ? readFile(PREBUILT, 'utf8') : buildDemoScript();
  built.catch(() => (built = undefined));
  return built;
}

/** Bundle web/demo/app.ts with esbuild (also used by scripts/build-web.ts). */
export async function buildDemoScript(): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new DemoUnavailable('the demo is built with esbuild, a dev dependency that is not installed (npm ci)');
  }
  try {
    const out = await esbuild.build({
      entryPoints: [DEMO_DIR + 'app.ts'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    });
    return out.outputFiles[0]!.text;
  } catch (e) {
    const text = String((e as Error).message);
    if (/open-im-sdk/.test(text)) throw new DemoUnavailable('the demo bundles open-im-sdk, a dev dependency that is not installed (npm ci)');
    throw e;
  }
}
