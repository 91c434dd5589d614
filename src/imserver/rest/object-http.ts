// The two object routes that are plain HTTP rather than envelope POSTs:
//   PUT /upload/<uploadID>?partNumber=&expires=&signature=   one part (the signed URL)
//   GET|HEAD /object/<name>                                  the object (upstream redirects to
//                                                            the store; here the store is us)
// A PUT error still answers the OpenIM envelope, with a non-2xx status so the client's
// `response.ok` check sees it. GET errors are plain text, as upstream's ObjectRedirect.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ImContext } from '../context.ts';
import { imArgsError, ImCode, toImError, type ImError } from '../errs.ts';
import { PartSizeError } from '../object-files.ts';
import { mediaHeaders } from '../object-media.ts';
import { fileNameOf, nameFromPath } from '../object-names.ts';
import { checkAccessQuery } from '../objects.ts';
import { fail } from './envelope.ts';

const STATUS: Record<number, number> = { [ImCode.Args]: 400, [ImCode.NoPermission]: 403, [ImCode.RecordNotFound]: 404 };

function sendError(res: ServerResponse, cors: Record<string, string>, err: ImError, close: boolean): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(fail(err));
  res.writeHead(STATUS[err.code] ?? 500, {
    ...cors,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...(close ? { Connection: 'close' } : {}),
  });
  // An unread body must not be parsed as the next request: answer, then drop the connection.
  res.end(body, close ? () => res.socket?.destroy() : undefined);
}

function intParam(q: URLSearchParams, key: string): number {
  const v = q.get(key) ?? '';
  return /^\d{1,15}$/.test(v) ? Number(v) : 0;
}

export async function receivePart(im: ImContext, req: IncomingMessage, res: ServerResponse, uploadID: string, q: URLSearchParams, cors: Record<string, string>): Promise<void> {
  let size: number;
  try {
    const partNumber = intParam(q, 'partNumber');
    size = im.objects.checkPut(uploadID, partNumber, intParam(q, 'expires'), q.get('signature') ?? '');
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== size) throw imArgsError(`part ${partNumber} must be ${size} bytes, Content-Length says ${declared}`);
    const md5 = await im.objects.storePart(uploadID, partNumber, size, req);
    res.writeHead(200, { ...cors, ETag: `"${md5}"`, 'Content-Length': '0' });
    res.end();
  } catch (e) {
    const err = e instanceof PartSizeError ? imArgsError(e.message) : toImError(e);
    // A client that hung up mid-part is not a server fault.
    if (err.code === ImCode.ServerInternal && !req.destroyed) im.log.error({ err: e }, 'part upload failed');
    sendError(res, cors, err, !req.complete);
  }
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); undefined = whole object; null = unsatisfiable. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or junk: send it all
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? null : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? null : { start, end };
}

function sendText(res: ServerResponse, cors: Record<string, string>, status: number, text: string): void {
  res.writeHead(status, { ...cors, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

export async function serveObject(im: ImContext, req: IncomingMessage, res: ServerResponse, encodedName: string, q: URLSearchParams, cors: Record<string, string>): Promise<void> {
  req.resume();
  const name = nameFromPath(encodedName);
  if (!name) return sendText(res, cors, 400, 'name is empty');
  try {
    checkAccessQuery(Object.fromEntries(q));
  } catch (e) {
    return sendText(res, cors, 400, toImError(e).message);
  }
  const obj = im.objects.lookup(name);
  if (!obj) return sendText(res, cors, 404, 'RecordNotFoundError: object not found');
  const etag = `"${obj.hash}"`;
  const headers: Record<string, string> = {
    ...cors,
    ...mediaHeaders(obj.contentType, fileNameOf(obj.name)),
    ETag: etag,
    'Accept-Ranges': 'bytes',
    // The content hash is in the name: what a URL serves never changes.
    'Cache-Control': 'public, max-age=31536000, immutable',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  const range = parseRange(req.headers.range, obj.size);
  if (range === null) {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${obj.size}` });
    return void res.end();
  }
  const { start, end } = range ?? { start: 0, end: obj.size - 1 };
  headers['Content-Length'] = String(end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${obj.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || obj.size === 0) return void res.end();
  try {
    await pipeline(im.objects.readContent(obj.hash, start, end), res);
  } catch (e) {
    // A reader that went away is normal; a missing file is not.
    if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') im.log.error({ err: e, name }, 'object read failed');
    res.destroy();
  }
}
