// Connection caps: per (userID, platformID) (the original's POINTNUM, default 10) and in total.
// A slot is reserved after the token check, in the same synchronous step as the upgrade, and
// released when the connection ends. The original checked the count, awaited the token check,
// then added the connection, so concurrent upgrades could all pass (spec §5.9, a TOCTOU race).
// Reserving before the await would close that race too, but would let fake tokens that merely
// claim a victim's userID hold the victim's slots (a lockout), so nothing is held across it.

import { gatewayError } from '../errors.ts';
import { sessionKey } from '../supervisor/registry.ts';
import { PerKeyCounter } from './per-key.ts';

export interface Reservation {
  /** Give the slot back. Idempotent. */
  release(): void;
}

export class ConnectionCaps {
  readonly #perKey = new PerKeyCounter();
  readonly #maxPerKey: number;
  readonly #maxTotal: number;
  #total = 0;

  constructor(maxPerKey: number, maxTotal: number) {
    this.#maxPerKey = maxPerKey;
    this.#maxTotal = maxTotal;
  }

  /** Reserve a slot or throw GW_TOO_MANY_CONNECTIONS. */
  reserve(userID: string, platformID: number): Reservation {
    const key = sessionKey(userID, platformID);
    if (this.#total >= this.#maxTotal) throw gatewayError('GW_TOO_MANY_CONNECTIONS', 'gateway connection limit');
    if (!this.#perKey.take(key, this.#maxPerKey)) throw gatewayError('GW_TOO_MANY_CONNECTIONS', `at most ${this.#maxPerKey} per user and platform`);
    this.#total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        this.#perKey.release(key);
      },
    };
  }

  get total(): number {
    return this.#total;
  }

  count(userID: string, platformID: number): number {
    return this.#perKey.count(sessionKey(userID, platformID));
  }
}
