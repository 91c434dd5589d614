// Exponential back-off with jitter for reconnects: min·2^attempt capped at max, then a random
// factor in [0.5, 1] so many sessions dropped at once do not reconnect in lockstep.

export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}
