// Identity checks and the only place a file path is derived from an ID.

import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * IDs accepted at the edge. OpenIM IDs are usually digits or ASCII words; '.', '@' and '+'
 * admit e-mail and phone style IDs. Anything else (slashes, NUL, spaces, non-ASCII) is refused
 * before it can reach a log line, a worker or a path.
 */
const ID_RE = /^[A-Za-z0-9_.@+-]{1,64}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

/** OpenIM platform IDs: 1 iOS … 10 Admin, 11 HarmonyOS. */
export function isValidPlatformId(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 11;
}

/** operationIDs are echoed to clients and logged; keep them short and printable. */
const OP_RE = /^[\x21-\x7e]{1,128}$/;
export function isValidOperationId(op: unknown): op is string {
  return typeof op === 'string' && OP_RE.test(op);
}

const MAX_SEGMENT = 96;

/**
 * Map any string to one path segment, injectively and safely on case-insensitive file systems:
 * [a-z0-9-] stay as they are; every other UTF-8 byte (uppercase, '_', '.', '/', NUL, ...)
 * becomes `_xx`. Over-long results keep a readable prefix plus a SHA-256, joined by '~', which
 * the escaping never produces, so hashed and unhashed names cannot collide.
 */
function encodePathSegment(id: string): string {
  if (id.length === 0) throw new Error('empty id');
  let out = '';
  for (const byte of Buffer.from(id, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9-]/.test(c) ? c : '_' + byte.toString(16).padStart(2, '0');
  }
  if (out.length <= MAX_SEGMENT) return out;
  const digest = createHash('sha256').update(id, 'utf8').digest('hex');
  return `${out.slice(0, 32)}~${digest}`;
}

/** `<dbDir>/<encoded userID>/<platformID>` */
export function sessionDataDir(dbDir: string, userID: string, platformID: number): string {
  if (!Number.isInteger(platformID) || platformID < 0) throw new Error('bad platformID');
  return join(dbDir, encodePathSegment(userID), String(platformID));
}
