import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { authenticate, TokenVerifier } from '../../src/gateway/auth.ts';
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
