// The core's REST client over node:http: envelope, token errors, timeouts and aborts, and no
// undici in the worker (fetch would load it: ~3 MB per session).

import { createServer, type Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/core/net/rest.ts';

let server: Server;
let base = '';
const seen: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      switch (req.url) {
        case '/ok':
          return void res.end(JSON.stringify({ errCode: 0, errMsg: '', data: { echo: JSON.parse(body) } }));
        case '/token':
          return void res.end(JSON.stringify({ errCode: 1503, errMsg: 'token expired' }));
        case '/html':
          res.writeHead(502);
          return void res.end('<html>bad gateway</html>');
        case '/slow':
          return void setTimeout(() => res.end('{"errCode":0}'), 2_000);
        case '/cut':
          res.writeHead(200, { 'content-length': '100' });
          res.write('{"errCode"');
          return void setTimeout(() => res.socket?.destroy(), 20);
        default:
          return void res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(extra: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const tokenErrors: number[] = [];
  const rest = new RestClient({ apiAddress: base, token: () => 'tok', onTokenError: (c) => tokenErrors.push(c), ...extra });
  return { rest, tokenErrors };
}

describe('RestClient', () => {
  it('posts JSON with the operationID and token headers and unwraps the envelope', async () => {
    const { rest } = client();
    expect(await rest.post('/ok', { a: [1, 'ü'] }, 'op-1')).toEqual({ echo: { a: [1, 'ü'] } });
    const last = seen.at(-1)!;
    expect(last.headers).toMatchObject({ operationid: 'op-1', token: 'tok', 'content-type': 'application/json' });
  });

  it('reports a token error once and throws its code', async () => {
    const { rest, tokenErrors } = client();
    await expect(rest.post('/token', {}, 'op')).rejects.toMatchObject({ code: 1503, message: 'token expired' });
    expect(tokenErrors).toEqual([1503]);
  });

  it('fails a response without a JSON envelope, a timeout, an abort and a cut connection with network codes', async () => {
    await expect(client().rest.post('/html', {}, 'op')).rejects.toMatchObject({ code: 10000, message: '/html: HTTP 502 without a JSON envelope' });
    const t0 = Date.now();
    await expect(client({ timeoutMs: 100 }).rest.post('/slow', {}, 'op')).rejects.toMatchObject({ code: 10001, message: '/slow: timeout' });
    expect(Date.now() - t0).toBeLessThan(1_500);
    const ac = new AbortController();
    const p = client().rest.post('/slow', {}, 'op', ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 10000, message: '/slow: aborted' });
    const closing = new AbortController();
    closing.abort();
    await expect(client({ signal: closing.signal }).rest.post('/ok', {}, 'op')).rejects.toMatchObject({ message: '/ok: aborted' });
    await expect(client().rest.post('/cut', {}, 'op')).rejects.toMatchObject({ code: 10000 });
  });

  it('loads no undici into the worker that uses it', async () => {
    const url = new URL('../../src/core/net/rest.ts', import.meta.url).href;
    const w = new Worker(
      `const { parentPort } = await import('node:worker_threads');
       const { RestClient } = await import(${JSON.stringify(url)});
       const rest = new RestClient({ apiAddress: ${JSON.stringify(base)}, token: () => 't', onTokenError() {} });
       await rest.post('/ok', { x: 1 }, 'op');
       parentPort.postMessage(process.moduleLoadList.filter((m) => /undici/.test(m)));`,
      { eval: true, type: 'module' } as ConstructorParameters<typeof Worker>[1],
    );
    const loaded = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(loaded).toEqual([]);
  });
});
