import { describe, expect, it } from 'vitest';
import { parseQueryString, parseUpgradeQuery } from '../../src/gateway/query.ts';
import { isGatewayError } from '../../src/errors.ts';

const good = '/?sendID=u1&token=ab+c/d==&platformID=5&operationID=op1';

function badQuery(url: string): string {
  try {
    parseUpgradeQuery(url);
  } catch (e) {
    expect(isGatewayError(e, 'GW_BAD_QUERY')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected GW_BAD_QUERY');
}

describe('parseUpgradeQuery', () => {
  it('parses the query the client builds without encoding, keeping + and =', () => {
    expect(parseUpgradeQuery(good)).toEqual({ sendID: 'u1', token: 'ab+c/d==', platformID: 5, operationID: 'op1' });
  });

  it('percent-decodes values of a client that does encode', () => {
    expect(parseUpgradeQuery('/ws?sendID=a%40b.c&token=t%2Bx&platformID=5&operationID=o').sendID).toBe('a@b.c');
    expect(parseUpgradeQuery('/ws?sendID=a%40b.c&token=t%2Bx&platformID=5&operationID=o').token).toBe('t+x');
  });

  it('accepts any path', () => {
    expect(parseUpgradeQuery('/anything/here?sendID=u1&token=t&platformID=11&operationID=o').platformID).toBe(11);
  });

  it('requires each parameter, naming it', () => {
    expect(badQuery('/?token=t&platformID=5&operationID=o')).toMatch(/sendID/);
    expect(badQuery('/?sendID=u1&platformID=5&operationID=o')).toMatch(/token/);
    expect(badQuery('/?sendID=u1&token=t&operationID=o')).toMatch(/platformID/);
    expect(badQuery('/?sendID=u1&token=t&platformID=5')).toMatch(/operationID/);
    expect(badQuery('/')).toMatch(/sendID/);
  });

  it('checks platformID is 1-11', () => {
    for (const p of ['0', '12', '5.0', '-1', 'web', ' 5', '005']) expect(badQuery(`/?sendID=u1&token=t&platformID=${p}&operationID=o`)).toMatch(/platformID/);
  });

  it('refuses IDs that could reach a path or a log line', () => {
    for (const id of ['..%2Fetc', 'a b', 'a%00b', 'x'.repeat(65), '%E4%BD%A0']) expect(badQuery(`/?sendID=${id}&token=t&platformID=5&operationID=o`)).toMatch(/sendID/);
  });

  it('refuses a token with spaces or one that is too long, without echoing it', () => {
    const msg = badQuery('/?sendID=u1&token=secret%20token&platformID=5&operationID=o');
    expect(msg).not.toContain('secret');
    expect(badQuery(`/?sendID=u1&token=${'t'.repeat(5000)}&platformID=5&operationID=o`)).toMatch(/token/);
  });

  it('refuses repeated parameters', () => {
    expect(badQuery('/?sendID=u1&sendID=u2&token=t&platformID=5&operationID=o')).toMatch(/repeated/);
  });

  it('splits without URLSearchParams semantics', () => {
    expect([...parseQueryString('a=1+2&b&c=x=y')]).toEqual([['a', '1+2'], ['b', ''], ['c', 'x=y']]);
  });
});
