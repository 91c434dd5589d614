// A TokenAuthority for supervisor tests whose clients carry made-up tokens: it vouches for every
// principal unless told a token is refused, and records what the supervisor reported to it.
// (The real one is the gateway's TokenVerifier; test/gateway/auth.test.ts and the e2e tests cover it.)

import { gatewayError } from '../../src/errors.ts';
import type { Principal, TokenAuthority } from '../../src/supervisor/types.ts';

export class RecordingTokens implements TokenAuthority {
  /** Tokens upstream "no longer accepts": not vouched for, and recheck refuses them. */
  readonly refused = new Set<string>();
  readonly rechecks: string[] = [];
  readonly revocations: Array<{ userID: string; platformID: number }> = [];
  readonly supersessions: Array<{ userID: string; platformID: number; token: string }> = [];

  vouches(p: Principal): boolean {
    return !this.refused.has(p.token);
  }

  async recheck(p: Principal): Promise<void> {
    this.rechecks.push(p.token);
    if (this.refused.has(p.token)) throw gatewayError('GW_BAD_TOKEN', '1506 token has been kicked', { upstreamCode: 1506 });
  }

  revoked(userID: string, platformID: number): void {
    this.revocations.push({ userID, platformID });
  }

  superseded(userID: string, platformID: number, token: string): void {
    this.supersessions.push({ userID, platformID, token });
  }
}
