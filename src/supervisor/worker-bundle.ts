// Session workers run from one file: workers/session-worker.ts with the default SDK core linked
// in (workers/bundle-entry.ts), bundled by esbuild. Resolving and linking the ~75 modules of the
// entry, the RPC, the core and `ws` was half of a worker's import; from one file a worker starts
// with less CPU and less memory (docs/performance.md, "Issue 12 follow-up").
//
// Where the bundle comes from:
// - the package (dist/, `npm install sdkgate`): built at `npm run build` (scripts/build-worker.ts)
//   as dist/workers/session-worker.bundle.mjs, since esbuild is a dev dependency;
// - a checkout (the .ts sources): built here, once per process, when the supervisor starts, and
//   written content-addressed to node_modules/.cache/sdkgate/, so every restart of the same code
//   finds the same path and Node's compile cache keeps serving it. Nothing is committed, and a
//   bundle is never stale: it is rebuilt from the sources at every start (~50–100 ms, mostly in
//   esbuild's own process).
// Any failure (no esbuild, a build error, an unwritable cache) is logged as a warning and the
// workers load the sources module by module, as before: slower to start, never wrong.
//
// The bundle serves only sessions whose core is the default one; a gateway given another core
// module (createGateway's `coreModule`, as tests' fixture cores) keeps the plain entry, which
// imports that module.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { moduleUrl } from '../module-url.ts';
import type { Isolation } from './host.ts';

type Esbuild = typeof import('esbuild');

const fs = process.getBuiltinModule('node:fs');

/** The core every session loads unless the gateway was given another (supervisor/index.ts). */
const DEFAULT_CORE = fileURLToPath(moduleUrl('../core/index', import.meta.url));
/** workers/session-worker.ts with the default core linked in (workers/linked-core.ts). */
const ENTRY = fileURLToPath(moduleUrl('../../workers/bundle-entry', import.meta.url));
/** Only the package has it (dist/src/supervisor -> dist/workers). */
const PREBUILT = fileURLToPath(new URL('../../workers/session-worker.bundle.mjs', import.meta.url));
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'sdkgate');
/** Bundles of earlier sources kept beside the current one (a gateway still running may use one). */
const KEEP = 8;

/**
 * `ws` is CommonJS: its require() of Node's built-ins (and of its optional native add-ons, inside
 * try/catch) needs a real require in an ES module.
 */
const BANNER = "import { createRequire as __sdkgateRequire } from 'node:module'; const require = __sdkgateRequire(import.meta.url);";

type Outcome = { url: URL } | { error: string };
let outcome: Outcome | undefined;

/**
 * The worker entry for sessions of `coreModule`: the bundle (built on the first call), or
 * undefined for the plain entry: another core, no workers (`--isolation none`; a user given a
 * thread or a process by the limits file then starts from the plain entry), or the bundle could
 * not be had (warned at every supervisor start).
 */
export function sessionWorkerBundle(coreModule: string, isolation: Isolation, log: Logger): URL | undefined {
  if (coreModule !== DEFAULT_CORE || isolation === 'none') return undefined;
  outcome ??= settle(FROM_SOURCES ? () => writeToCache(buildWorkerBundleSync(loadEsbuild())) : prebuilt);
  return entryOf(outcome, log);
}

/** Try `make`; a failure is remembered as its message. */
export function settle(make: () => string): Outcome {
  try {
    return { url: pathToFileURL(make()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export function entryOf(o: Outcome, log: Logger): URL | undefined {
  if ('url' in o) return o.url;
  log.warn({ cause: o.error }, 'no session worker bundle: workers load the sources module by module (slower start, more memory per session)');
  return undefined;
}

function prebuilt(): string {
  if (!fs.existsSync(PREBUILT)) throw new Error(`${PREBUILT} is missing (the package build writes it)`);
  return PREBUILT;
}

function loadEsbuild(): Esbuild {
  try {
    return createRequire(import.meta.url)('esbuild') as Esbuild;
  } catch {
    throw new Error('esbuild, a dev dependency, is not installed (npm ci)');
  }
}

function workerBundleOptions(): import('esbuild').BuildOptions & { write: false } {
  return {
    entryPoints: [ENTRY],
    // esbuild names modules in the output by their path from here: from the package root, the
    // same sources give the same bytes (and cache file) whatever the gateway's working directory.
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'node',
    // The oldest Node the package supports (package.json engines).
    target: 'node22.13',
    // Smaller source text: each worker's isolate keeps its script's source. Identifiers are
    // kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    banner: { js: BANNER },
    write: false,
    logLevel: 'silent',
  };
}

function buildWorkerBundleSync(esbuild: Esbuild): string {
  const out = esbuild.buildSync(workerBundleOptions());
  return out.outputFiles[0]!.text;
}

/** The bundle text as the package build wants it (scripts/build-worker.ts). */
export async function buildWorkerBundle(): Promise<string> {
  const esbuild = (await import('esbuild')) as Esbuild;
  const out = await esbuild.build(workerBundleOptions());
  return out.outputFiles[0]!.text;
}

/**
 * Content-addressed, so gateways of the same checkout started at once (parallel test files)
 * write the same bytes to the same path, and a gateway still running older code keeps its file.
 */
function writeToCache(text: string): string {
  const name = `session-worker-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`;
  const file = join(CACHE_DIR, name);
  fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
  let same = false;
  try {
    same = fs.readFileSync(file, 'utf8') === text;
  } catch {
    // Not there yet.
  }
  if (same) {
    const now = new Date();
    fs.utimesSync(file, now, now); // newest: the pruning below keeps it
  } else {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  prune(name);
  return file;
}

function prune(current: string): void {
  try {
    const old = fs
      .readdirSync(CACHE_DIR)
      .filter((n) => n !== current && /^session-worker-[0-9a-f]{16}\.mjs$/.test(n))
      .map((n) => ({ n, t: fs.statSync(join(CACHE_DIR, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t)
      .slice(KEEP - 1);
    for (const { n } of old) fs.rmSync(join(CACHE_DIR, n), { force: true });
  } catch {
    // Another gateway pruned at the same time; leftovers go next time.
  }
}
