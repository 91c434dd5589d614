// A tiny stand-in for the OpenIM API's POST /auth/parse_token, for gateway unit tests that must
// control the upstream (down, slow, odd answers). The e2e tests use the real embedded IM server.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

type FakeImMode = 'ok' | 'http500' | 'hang' | 'garbage';

export interface FakeIm {
  readonly apiAddress: string;
  /** Requests to /auth/parse_token so far, with the operationID header each carried. */
  readonly requests: Array<{ operationID: string | undefined; token: unknown }>;
  mode: FakeImMode;
  /** Answer parse_token this many ms late (0: at once). */
  delayMs: number;
  /** Issue a token for (userID, platformID); `expireInS` defaults to a day. Tokens may contain '+'. */
  issue(userID: string, platformID: number, expireInS?: number): string;
  /** Make parse_token answer this errCode for the token from now on. */
  revoke(token: string, errCode?: number): void;
  close(): Promise<void>;
}

export async function startFakeIm(): Promise<FakeIm> {
  const tokens = new Map<string, { userID: string; platformID: number; exp: number; errCode: number }>();
  const requests: FakeIm['requests'] = [];
  const state = { mode: 'ok' as FakeImMode, delayMs: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/auth/parse_token') {
        res.writeHead(404).end();
        return;
      }
      let body: { token?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // answered below as an unknown token
      }
      requests.push({ operationID: req.headers.operationid as string | undefined, token: body.token });
      if (state.mode === 'hang') return; // never answer
      if (state.mode === 'http500') {
        res.writeHead(500).end('oops');
        return;
      }
      if (state.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('<html>');
        return;
      }
      const t = typeof body.token === 'string' ? tokens.get(body.token) : undefined;
      const reply = (o: unknown): void => {
        const send = (): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(o));
        if (state.delayMs > 0) setTimeout(send, state.delayMs);
        else send();
      };
      if (!t) return reply({ errCode: 1503, errMsg: 'TokenMalformedError', errDlt: '' });
      if (t.errCode !== 0) return reply({ errCode: t.errCode, errMsg: 'token rejected', errDlt: '' });
      reply({ errCode: 0, errMsg: '', errDlt: '', data: { userID: t.userID, platformID: t.platformID, expireTimeSeconds: t.exp } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiAddress: `http://127.0.0.1:${port}`,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(m: FakeImMode) {
      state.mode = m;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    issue(userID, platformID, expireInS = 86_400) {
      // base64 (not base64url) so tokens carry '+' and '/', as unencoded query values must survive.
      const token = `tk+${randomBytes(18).toString('base64')}`;
      tokens.set(token, { userID, platformID, exp: Math.floor(Date.now() / 1000) + expireInS, errCode: 0 });
      return token;
    },
    revoke(token, errCode = 1501) {
      const t = tokens.get(token);
      if (t) t.errCode = errCode;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
