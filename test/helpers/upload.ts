// The object upload flow over plain HTTP, the way open-im-sdk@3.5.2 runs it (src/api/index.ts
// internalUploadFile): part_size, MD5 per part, hash = MD5 of the part MD5s joined by ",",
// initiate, PUT each signed part URL (sign.url + sign.query + part.query), complete. Split in
// steps so tests can tamper with one of them.

import { createHash } from 'node:crypto';
import { imPost } from './im.ts';

interface KeyValues {
  key: string;
  values: string[];
}
export interface SignPart {
  partNumber: number;
  url?: string;
  query?: KeyValues[];
  header?: KeyValues[];
}
export interface Sign {
  url: string;
  query?: KeyValues[];
  header?: KeyValues[];
  parts: SignPart[];
}
interface Initiated {
  url?: string;
  upload?: { uploadID: string; partSize: number; sign?: Sign; expireTime: number };
}

export const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');

function splitParts(bytes: Uint8Array, partSize: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += partSize) parts.push(bytes.subarray(at, Math.min(at + partSize, bytes.length)));
  return parts;
}

/** The client's URL for one part: part.url || sign.url, then sign.query, then part.query. */
export function partUrl(sign: Sign, part: SignPart): string {
  const u = new URL(part.url || sign.url);
  for (const kv of [...(sign.query ?? []), ...(part.query ?? [])]) u.searchParams.set(kv.key, kv.values[0]!);
  return u.toString();
}

export async function putPart(url: string, body: Uint8Array, contentType = 'application/octet-stream', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType, ...headers }, body, signal: AbortSignal.timeout(15_000) });
}

export interface Upload {
  readonly parts: Uint8Array[];
  readonly partHashes: string[];
  readonly initiated: Initiated;
}

export async function initiate(api: string, token: string, name: string, bytes: Uint8Array, contentType: string, maxParts = -1): Promise<Upload> {
  const { size: partSize } = await imPost<{ size: number }>(api, '/object/part_size', { size: bytes.length }, token);
  const parts = splitParts(bytes, partSize);
  const partHashes = parts.map((p) => md5(p));
  const initiated = await imPost<Initiated>(
    api,
    '/object/initiate_multipart_upload',
    { hash: md5(partHashes.join(',')), size: bytes.length, partSize, maxParts, cause: '', name, contentType },
    token,
  );
  return { parts, partHashes, initiated };
}

export async function putAll(up: Upload, contentType: string): Promise<void> {
  const sign = up.initiated.upload!.sign!;
  await Promise.all(
    sign.parts.map(async (p) => {
      const res = await putPart(partUrl(sign, p), up.parts[p.partNumber - 1]!, contentType);
      if (!res.ok) throw new Error(`PUT part ${p.partNumber}: ${res.status} ${await res.text()}`);
    }),
  );
}

export async function complete(api: string, token: string, up: Upload, name: string, contentType: string): Promise<string> {
  const body = { uploadID: up.initiated.upload!.uploadID, parts: up.partHashes, cause: '', name, contentType };
  return (await imPost<{ url: string }>(api, '/object/complete_multipart_upload', body, token)).url;
}

/** The whole flow; resolves with the object URL. */
export async function uploadBytes(api: string, token: string, name: string, bytes: Uint8Array, contentType = 'application/octet-stream'): Promise<string> {
  const up = await initiate(api, token, name, bytes, contentType);
  if (up.initiated.url) return up.initiated.url;
  await putAll(up, contentType);
  return complete(api, token, up, name, contentType);
}
