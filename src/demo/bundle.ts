// The demo page's script: web/demo/app.ts and the unmodified open-im-sdk@3.5.2, bundled by
// esbuild into one file, in memory, the first time a browser asks for it (then kept). Nothing is
// committed or written to disk; `make run` and `npm start` need nothing beyond `npm ci`.
//
// esbuild and open-im-sdk are dev dependencies: an install without them (npm ci --omit=dev)
// serves the rest of sdkgate, and /demo/ answers 503 saying what is missing.

import { fileURLToPath } from 'node:url';

export const DEMO_DIR = fileURLToPath(new URL('../../web/demo/', import.meta.url));

export class DemoUnavailable extends Error {}

let built: Promise<string> | undefined;

/** The bundled script (built once per process; a failed build is retried on the next request). */
export function demoBundle(): Promise<string> {
  built ??= build();
  built.catch(() => (built = undefined));
  return built;
}

async function build(): Promise<string> {
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
