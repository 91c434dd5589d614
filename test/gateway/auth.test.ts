import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { authenticate, JUST_VERIFIED_MS, TokenVerifier } from '../../src/gateway/auth.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';

let im: FakeIm;
beforeAll(async () => {
  im = await startFakeIm();
});
afterAll(async () => {
  await im.close();
});

const silent = pino({ level: 'silent' });
function verifier(o: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}): TokenVerifier {
  return new TokenVerifier({ apiAddress: im.apiAddress, timeoutMs: 500, cacheSize: 100, cacheTtlMs: 60_000, negativeTtlMs: 1_000, log: silent, ...o });
}

describe('TokenVerifier', () => {
  it('returns the claims of a valid token and sends the operationID header', async () => {
    const token = im.issue('u1', 5);
    const c = await verifier().verify(token, 'op-x');
    expect(c).toMatchObject({ userID: 'u1', platformID: 5 });
    expect(im.requests.at(-1)).toEqual({ operationID: 'op-x', token });
  });

  it('asks once for concurrent checks of one token', async () => {
    const v = verifier();
    const token = im.issue('u1', 5);
    const n = im.requests.length;
    await Promise.all(Array.from({ length: 5 }, () => v.verify(token, 'o')));
    expect(im.requests.length).toBe(n + 1);
  });

  it('does not cache past the token expiry', async () => {
    let now = Date.now();
    const v = verifier({ now: () => now });
    const token = im.issue('u1', 5, 10); // expires in 10 s; cache TTL is 60 s
    await v.verify(token, 'o');
    now += 9_000;
    const n = im.requests.length;
    await v.verify(token, 'o');
    expect(im.requests.length).toBe(n);
    now += 2_000;
    await expect(v.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN' });
  });

  it('keeps a negative verdict only for the negative TTL', async () => {
    let now = Date.now();
    const v = verifier({ now: () => now, negativeTtlMs: 1_000 });
    const token = im.issue('u1', 5);
    im.revoke(token);
    await expect(v.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN', detail: { upstreamCode: 1501 } });
    const n = im.requests.length;
    await expect(v.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN' });
    expect(im.requests.length).toBe(n);
    now += 1_001;
    await expect(v.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN' });
    expect(im.requests.length).toBe(n + 1);
  });

  it('maps an unreachable, failing or confused upstream to GW_UPSTREAM_UNAVAILABLE and never caches it', async () => {
    const v = verifier({ timeoutMs: 200 });
    const token = im.issue('u1', 5);
    for (const mode of ['hang', 'http500', 'garbage'] as const) {
      im.mode = mode;
      await expect(v.verify(token, 'o'), mode).rejects.toMatchObject({ errorName: 'GW_UPSTREAM_UNAVAILABLE', detail: { retryAfterS: expect.any(Number) } });
    }
    im.mode = 'ok';
    await expect(v.verify(token, 'o')).resolves.toMatchObject({ userID: 'u1' });
    const down = new TokenVerifier({ apiAddress: 'http://127.0.0.1:9', timeoutMs: 200, cacheSize: 10, cacheTtlMs: 1000, negativeTtlMs: 1000, log: silent });
    await expect(down.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_UPSTREAM_UNAVAILABLE' });
  });
});

describe('authenticate', () => {
  it('binds the token to sendID and platformID', async () => {
    const v = verifier();
    const token = im.issue('u1', 5);
    await expect(authenticate(v, { sendID: 'u1', token, platformID: 5, operationID: 'o' })).resolves.toEqual({ userID: 'u1', platformID: 5, token });
    await expect(authenticate(v, { sendID: 'u2', token, platformID: 5, operationID: 'o' })).rejects.toMatchObject({ errorName: 'GW_TOKEN_MISMATCH' });
    await expect(authenticate(v, { sendID: 'u1', token, platformID: 6, operationID: 'o' })).rejects.toMatchObject({ errorName: 'GW_TOKEN_MISMATCH' });
  });
});

describe('TokenVerifier as the supervisor\'s TokenAuthority', () => {
  const q = (token: string, sendID = 'u1') => ({ sendID, token, platformID: 5, operationID: 'o' });

  it('vouches for a principal whose upgrade asked upstream, for JUST_VERIFIED_MS only', async () => {
    let now = Date.now();
    const v = verifier({ now: () => now });
    const p = await v.authenticate(q(im.issue('u1', 5)));
    expect(v.vouches(p)).toBe(true);
    now += JUST_VERIFIED_MS + 1;
    expect(v.vouches(p)).toBe(false);
  });

  it('vouches after a parse_token that took longer than JUST_VERIFIED_MS (a loaded upstream): the age runs from the answer', async () => {
    let now = Date.now();
    // The answer comes 3 s after the question (onRequest runs when it is in).
    const v = verifier({ now: () => now, onRequest: () => (now += 3_000) });
    const p = await v.authenticate(q(im.issue('u1', 5)));
    expect(v.vouches(p)).toBe(true);
    now += JUST_VERIFIED_MS + 1;
    expect(v.vouches(p)).toBe(false);
  });

  it('never vouches for a principal admitted by a cached verdict; recheck asks upstream, then it does', async () => {
    const v = verifier();
    const token = im.issue('u1', 5);
    await v.authenticate(q(token));
    const n = im.requests.length;
    const p = await v.authenticate(q(token));
    expect(im.requests.length).toBe(n); // the upgrade itself was free
    expect(v.vouches(p)).toBe(false);
    await v.recheck(p, 'op-re');
    expect(im.requests.length).toBe(n + 1);
    expect(im.requests.at(-1)?.operationID).toBe('op-re');
    expect(v.vouches(p)).toBe(true);
  });

  it('recheck skips a cached acceptance but keeps a cached refusal', async () => {
    const v = verifier();
    const token = im.issue('u1', 5);
    const p = await v.authenticate(q(token));
    im.revoke(token, 1506);
    await expect(v.recheck(p, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN', detail: { upstreamCode: 1506 } });
    const n = im.requests.length;
    await expect(v.recheck(p, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN' });
    await expect(v.verify(token, 'o')).rejects.toMatchObject({ errorName: 'GW_BAD_TOKEN' });
    expect(im.requests.length).toBe(n);
    expect(v.vouches(p)).toBe(false); // upstream's last word on the token is a refusal
  });

  it('revoked(): drops every cached verdict of the pair, and no earlier proof vouches; other pairs untouched', async () => {
    const v = verifier();
    const [a, b, other] = [im.issue('u1', 5), im.issue('u1', 5), im.issue('u2', 5)];
    const pa = await v.authenticate(q(a));
    await v.authenticate(q(b));
    const po = await v.authenticate(q(other, 'u2'));
    v.revoked('u1', 5);
    expect(v.vouches(pa)).toBe(false);
    expect(v.vouches(po)).toBe(true);
    const n = im.requests.length;
    await v.verify(a, 'o');
    await v.verify(b, 'o');
    await v.verify(other, 'o');
    expect(im.requests.length).toBe(n + 2);
    // A check made after the event vouches again.
    await v.recheck(pa, 'o');
    expect(v.vouches(pa)).toBe(true);
  });

  it('superseded(): the current token stays cached, the pair\'s others do not, and earlier proofs stop vouching', async () => {
    const v = verifier();
    const [older, current] = [im.issue('u1', 5), im.issue('u1', 5)];
    const pOld = await v.authenticate(q(older));
    await v.authenticate(q(current));
    v.superseded('u1', 5, current);
    expect(v.vouches(pOld)).toBe(false);
    const n = im.requests.length;
    await v.verify(current, 'o');
    expect(im.requests.length).toBe(n);
    await v.verify(older, 'o');
    expect(im.requests.length).toBe(n + 1);
  });

  it('does not cache, or count as a proof, an answer to a request asked before a revocation', async () => {
    const v = verifier();
    const token = im.issue('u1', 5);
    im.delayMs = 150;
    try {
      const admitted = v.authenticate(q(token));
      await new Promise((r) => setTimeout(r, 50));
      v.revoked('u1', 5); // while parse_token is on its way back
      const p = await admitted;
      expect(v.vouches(p)).toBe(false);
      const n = im.requests.length;
      await v.verify(token, 'o');
      expect(im.requests.length).toBe(n + 1);
    } finally {
      im.delayMs = 0;
    }
  });
});
