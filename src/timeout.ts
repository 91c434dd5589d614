// The one bounded wait of the main thread (the core, which imports nothing outside src/core,
// uses node:timers/promises directly).

/**
 * Resolves with what `p` settles to, or with `fallback` once `ms` passed, whichever comes first.
 * A rejection of `p` within `ms` passes through. The timer is cleared as soon as `p` settles, so
 * no timer outlives the wait.
 */
export async function withTimeout<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
