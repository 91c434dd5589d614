// The one name of a (userID, platformID) pair, for every map and counter keyed by it: the
// supervisor's registry, start cooldown and chaos ledger, and the gateway's caps and token cache.
// A platformID is a number, so the first ':' ends it and no two pairs share a key.

export function sessionKey(userID: string, platformID: number): string {
  return `${platformID}:${userID}`;
}
