// The one bounded wait of the main thread (the core, which imports nothing outside src/core,
// uses node:timers/promises directly).

/**
 * A bounded wait: resolves with `p`'s value, or with undefined once `ms` passed or if `p` rejects.
 * Never rejects: the callers wait for something to finish (a drain, a close, an exit) and go on
 * either way. The timer is cleared as soon as `p` settles, so no timer outlives the wait.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.catch(() => undefined), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface TimeoutSignal {
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
