// URLs of the modules sdkgate starts by path: the session worker, the IM server's worker, the
// default SDK core. From the sources they are `.ts` (run by type stripping); from the built
// package (dist/, plain JS, what `npm install sdkgate` gets) they are `.js`. tsc rewrites import
// specifiers, but not strings passed to `new URL`, so the extension is chosen here, once: a
// module runs in the same form as the one asking for it.
//
// Running workers from precompiled JS while the main thread runs the sources (so no worker
// loads the type stripper) would be a change here only: map `src/`/`workers/` to `dist/src/`,
// `dist/workers/` when a fresh build exists.

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** `relative` (a path without extension, e.g. '../../workers/session-worker') against `base` (import.meta.url). */
export function moduleUrl(relative: string, base: string): URL {
  return new URL(relative + EXT, base);
}
