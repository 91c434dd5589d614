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

export interface TimeoutSignal {
  /** Aborts with a DOMException named TimeoutError once the time is up. */
  readonly signal: AbortSignal;
  /** Cancel the timer (the work finished first). */
  clear(): void;
}

/**
 * A signal for bounding a request, whose timer is cleared once the answer is in. Not
 * AbortSignal.timeout(): its timer cannot be cleared, so every request left one behind that fired
 * later and built a DOMException with a stack on the main thread (~2.6 ms each for the token
 * checks in a login-storm profile).
 */
export function timeoutSignal(ms: number, message: string): TimeoutSignal {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException(message, 'TimeoutError')), ms);
  return { signal: ac.signal, clear: () => clearTimeout(timer) };
}
