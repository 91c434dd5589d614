// Object storage (upstream: internal/rpc/third/s3.go over pkg/common/db/s3/cont with minio):
// multipart uploads whose part URLs point back at this server, signed with a key kept in the
// database, and named objects over content stored once per hash (object-files.ts).
//
// An upload lives in `uploads` until it is completed or expires; its size counts against the
// user's quota from the start, so open uploads cannot fill the disk. Expired uploads are swept
// on a timer. Everything is in SQLite and the data dir, so uploads survive a restart.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import { inTransaction, stmt, type Db } from './db.ts';
import { imArgsError, ImCode, imError } from './errs.ts';
import type { ObjectFiles } from './object-files.ts';
import { normaliseContentType } from './object-media.ts';
import { objectUrl, storedObjectName } from './object-names.ts';

const MiB = 1024 * 1024;

export interface ObjectLimits {
  /** Largest object, bytes. */
  readonly maxObjectBytes: number;
  /** Bytes one user may hold in objects and open uploads; admins are exempt. */
  readonly quotaBytes: number;
  /** How long an upload, and the part URLs signed for it, stay valid. */
  readonly uploadTtlMs: number;
  /** How often expired uploads and leftover part files are swept. */
  readonly sweepIntervalMs: number;
}

export const DEFAULT_OBJECT_LIMITS: ObjectLimits = {
  maxObjectBytes: 100 * MiB,
  quotaBytes: 1024 * MiB,
  uploadTtlMs: 3_600_000,
  sweepIntervalMs: 300_000,
};

// minio's part rules (pkg/common/db/s3/minio): parts of at least 5 MiB, at most 10 000 of them.
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
/** access_url's expireTime: the URL itself never expires, but clients cache it this long. */
const ACCESS_URL_TTL_MS = 24 * 3_600_000;
const HEX32 = /^[0-9a-f]{32}$/;

interface KeyValues {
  key: string;
  values: string[];
}

interface SignPart {
  partNumber: number;
  url: string;
  query: KeyValues[];
}

export interface AuthSign {
  url: string;
  parts: SignPart[];
}

export interface ObjectRow {
  name: string;
  userID: string;
  hash: string;
  size: number;
  contentType: string;
}

interface UploadRow {
  upload_id: string;
  user_id: string;
  hash: string;
  size: number;
  part_size: number;
  part_count: number;
  expire_at: number;
}

/** Who asks, and the `http://host:port` their URLs should use. */
export interface ObjectCaller {
  readonly userID: string;
  readonly isAdmin: boolean;
  readonly base: string;
}

export interface InitiateRequest {
  hash: string;
  size: number;
  maxParts: number;
  name: string;
  contentType: string;
  cause: string;
}

export type InitiateResult =
  | { url: string }
  | { upload: { uploadID: string; partSize: number; sign?: AuthSign; expireTime: number } };

export class Objects {
  readonly limits: ObjectLimits;
  readonly #db: Db;
  readonly #files: ObjectFiles;
  readonly #log: Logger;
  readonly #key: Buffer;
  /** Uploads being completed: the sweeper leaves them alone, a second complete is refused. */
  readonly #completing = new Set<string>();
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> = Promise.resolve();

  constructor(db: Db, files: ObjectFiles, limits: ObjectLimits, log: Logger) {
    this.#db = db;
    this.#files = files;
    this.limits = limits;
    this.#log = log;
    this.#key = signingKey(db);
  }

  partLimit(): { minPartSize: number; maxPartSize: number; maxNumSize: number } {
    return { minPartSize: MIN_PART_SIZE, maxPartSize: MAX_PART_SIZE, maxNumSize: MAX_PARTS };
  }

  /** minio's PartSize, after this server's size limit. */
  partSize(size: number): number {
    if (size <= 0) throw imArgsError('size must be greater than 0');
    if (size > this.limits.maxObjectBytes) throw imArgsError(`size ${size} exceeds the limit of ${this.limits.maxObjectBytes} bytes`);
    if (size <= MIN_PART_SIZE * MAX_PARTS) return MIN_PART_SIZE;
    return Math.ceil(size / MAX_PARTS);
  }

  async initiate(c: ObjectCaller, r: InitiateRequest): Promise<InitiateResult> {
    const hash = r.hash.toLowerCase();
    if (!HEX32.test(hash)) throw imArgsError('invalid md5');
    const partSize = this.partSize(r.size);
    const name = storedObjectName(r.name, c.userID, c.isAdmin, hash);
    const stored = await this.#files.hasContent(hash);
    // From here on no await: the quota check and the reservation below cannot interleave with
    // another initiate of the same user.
    this.#checkQuota(c, r.size);
    const blob = stmt<{ size: number }>(this.#db, 'SELECT size FROM object_blobs WHERE hash = ?').get(hash);
    if (blob && stored) {
      // Upstream's HashAlreadyExists: the content is here already, only the name is new.
      this.#putObject(name, c.userID, hash, blob.size, r.contentType, r.cause);
      return { url: objectUrl(c.base, name) };
    }
    const partCount = Math.ceil(r.size / partSize);
    const uploadID = randomBytes(16).toString('hex');
    const now = Date.now();
    const expireAt = now + this.limits.uploadTtlMs;
    stmt(this.#db, 'INSERT INTO uploads (upload_id, user_id, hash, size, part_size, part_count, expire_at, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(uploadID, c.userID, hash, r.size, partSize, partCount, expireAt, now);
    // maxParts -1 signs every part (what open-im-sdk sends), 0 none (the client asks auth_sign).
    const signed = r.maxParts < 0 ? partCount : Math.min(r.maxParts, partCount);
    const numbers = Array.from({ length: signed }, (_, i) => i + 1);
    const upload = { uploadID, partSize, expireTime: expireAt, ...(signed > 0 ? { sign: this.#sign(c.base, uploadID, expireAt, numbers) } : {}) };
    return { upload };
  }

  authSign(c: ObjectCaller, uploadID: string, partNumbers: readonly number[]): AuthSign {
    const up = this.#openUpload(c, uploadID);
    for (const n of partNumbers) if (n < 1 || n > up.part_count) throw imArgsError(`partNumber ${n} is not in 1..${up.part_count}`);
    return this.#sign(c.base, uploadID, up.expire_at, partNumbers);
  }

  /**
   * Check a part PUT's signature and expiry; answers the part's exact size. Errors: 1002 for a
   * bad or expired signature, 1004 for an upload that is gone, 1001 for a part out of range.
   */
  checkPut(uploadID: string, partNumber: number, expires: number, signature: string): number {
    const want = this.#signature(uploadID, partNumber, expires);
    const got = Buffer.from(signature, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw imError(ImCode.NoPermission, 'signature does not match');
    if (expires < Date.now()) throw imError(ImCode.NoPermission, 'signature expired');
    const up = this.#upload(uploadID);
    if (!up || up.expire_at < Date.now()) throw imError(ImCode.RecordNotFound, 'upload not found or expired');
    if (partNumber > up.part_count) throw imArgsError(`partNumber ${partNumber} is not in 1..${up.part_count}`);
    return partLength(up, partNumber);
  }

  async complete(c: ObjectCaller, uploadID: string, partHashes: readonly string[], clientName: string, contentType: string, cause: string): Promise<string> {
    const up = this.#openUpload(c, uploadID);
    const parts = partHashes.map((h) => h.toLowerCase());
    if (parts.length !== up.part_count) throw imArgsError(`expected ${up.part_count} part hashes, got ${parts.length}`);
    if (!parts.every((h) => HEX32.test(h))) throw imArgsError('a part hash is not an md5');
    if (createHash('md5').update(parts.join(',')).digest('hex') !== up.hash) throw imArgsError('md5 mismatching');
    const name = storedObjectName(clientName, c.userID, c.isAdmin, up.hash);
    if (this.#completing.has(uploadID)) throw imArgsError('the upload is being completed');
    this.#completing.add(uploadID);
    try {
      for (let i = 0; i < parts.length; i++) {
        const size = await this.#files.partSize(uploadID, i + 1, parts[i]!);
        if (size !== partLength(up, i + 1)) throw imArgsError(`part ${i + 1} was not uploaded`);
      }
      if (!(await this.#files.hasContent(up.hash))) await this.#files.assemble(uploadID, parts, up.hash);
      inTransaction(this.#db, () => {
        stmt(this.#db, 'INSERT OR IGNORE INTO object_blobs (hash, size, create_time) VALUES (?, ?, ?)').run(up.hash, up.size, Date.now());
        this.#putObject(name, up.user_id, up.hash, up.size, contentType, cause);
        stmt(this.#db, 'DELETE FROM uploads WHERE upload_id = ?').run(uploadID);
      });
      await this.#files.removeUpload(uploadID);
    } finally {
      this.#completing.delete(uploadID);
    }
    return objectUrl(c.base, name);
  }

  /** Write a part whose PUT passed checkPut; resolves with its MD5 (object-files.ts). */
  storePart(uploadID: string, partNumber: number, size: number, body: Readable): Promise<string> {
    return this.#files.writePart(uploadID, partNumber, size, body);
  }

  readContent(hash: string, start: number, end: number): Readable {
    return this.#files.readContent(hash, start, end);
  }

  lookup(name: string): ObjectRow | undefined {
    const row = stmt<{ name: string; user_id: string; hash: string; size: number; content_type: string }>(this.#db, 'SELECT name, user_id, hash, size, content_type FROM objects WHERE name = ?').get(name);
    return row && { name: row.name, userID: row.user_id, hash: row.hash, size: row.size, contentType: row.content_type };
  }

  /** access_url: where `name` is served; `type=image` (upstream's thumbnail) serves the original. */
  accessUrl(base: string, name: string, query: Readonly<Record<string, string>>): { url: string; expireTime: number } {
    checkAccessQuery(query);
    if (!this.lookup(name)) throw imError(ImCode.RecordNotFound, `object ${name} not found`);
    const qs = new URLSearchParams(query).toString();
    return { url: objectUrl(base, name) + (qs ? `?${qs}` : ''), expireTime: Date.now() + ACCESS_URL_TTL_MS };
  }

  /** Bytes the user holds: objects plus open uploads. */
  used(userID: string): number {
    const row = stmt<{ used: number }>(
      this.#db,
      'SELECT (SELECT COALESCE(SUM(size), 0) FROM objects WHERE user_id = ?) + (SELECT COALESCE(SUM(size), 0) FROM uploads WHERE user_id = ? AND expire_at >= ?) AS used',
    ).get(userID, userID, Date.now())!;
    return row.used;
  }

  /** Drop expired uploads and part directories no upload owns. Resolves with how many went. */
  sweep(): Promise<number> {
    const run = this.#sweeping.then(() => this.#sweepOnce());
    this.#sweeping = run.catch(() => undefined);
    return run;
  }

  async #sweepOnce(): Promise<number> {
    const expired = stmt<{ upload_id: string }>(this.#db, 'SELECT upload_id FROM uploads WHERE expire_at < ?').all(Date.now())
      .map((r) => r.upload_id)
      .filter((id) => !this.#completing.has(id));
    for (const id of expired) stmt(this.#db, 'DELETE FROM uploads WHERE upload_id = ?').run(id);
    const orphans = (await this.#files.uploadDirs()).filter((id) => !this.#completing.has(id) && !this.#upload(id));
    const gone = new Set([...expired, ...orphans]);
    for (const id of gone) await this.#files.removeUpload(id);
    if (gone.size > 0) this.#log.info({ removed: gone.size }, 'swept abandoned uploads');
    return gone.size;
  }

  /** Sweep now and then every sweepIntervalMs (the timer does not hold the process open). */
  startSweeper(): void {
    const tick = () => void this.sweep().catch((err: unknown) => this.#log.error({ err }, 'upload sweep failed'));
    tick();
    this.#sweeper = setInterval(tick, this.limits.sweepIntervalMs);
    this.#sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#sweeping;
  }

  #checkQuota(c: ObjectCaller, size: number): void {
    if (c.isAdmin) return;
    const used = this.used(c.userID);
    if (used + size > this.limits.quotaBytes) {
      throw imError(ImCode.NoPermission, `upload quota exceeded: ${used} of ${this.limits.quotaBytes} bytes used, ${size} more asked`);
    }
  }

  #putObject(name: string, userID: string, hash: string, size: number, contentType: string, cause: string): void {
    // The hash is part of the name, so a name always means the same bytes; a repeat only
    // refreshes the declared type. The first uploader keeps it (and pays for it).
    stmt(
      this.#db,
      `INSERT INTO objects (name, user_id, hash, size, content_type, cause, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET content_type = excluded.content_type`,
    ).run(name, userID, hash, size, normaliseContentType(contentType), cause, Date.now());
  }

  #upload(uploadID: string): UploadRow | undefined {
    return stmt<UploadRow>(this.#db, 'SELECT * FROM uploads WHERE upload_id = ?').get(uploadID);
  }

  /** The caller's unexpired upload; another user's reads as missing. */
  #openUpload(c: ObjectCaller, uploadID: string): UploadRow {
    const up = HEX32.test(uploadID) ? this.#upload(uploadID) : undefined;
    if (!up || (up.user_id !== c.userID && !c.isAdmin)) throw imError(ImCode.RecordNotFound, 'upload not found');
    if (up.expire_at < Date.now()) throw imError(ImCode.RecordNotFound, 'upload expired');
    return up;
  }

  #signature(uploadID: string, partNumber: number, expires: number): Buffer {
    return createHmac('sha256', this.#key).update(`${uploadID}\n${partNumber}\n${expires}`).digest();
  }

  /** Part URLs as open-im-sdk builds them: `url` plus each part's query (upstream's minio form). */
  #sign(base: string, uploadID: string, expires: number, partNumbers: readonly number[]): AuthSign {
    const url = `${base}${UPLOAD_PATH}${uploadID}`;
    return {
      url,
      parts: partNumbers.map((n) => ({
        partNumber: n,
        url,
        query: [
          { key: 'partNumber', values: [String(n)] },
          { key: 'expires', values: [String(expires)] },
          { key: 'signature', values: [this.#signature(uploadID, n, expires).toString('hex')] },
        ],
      })),
    };
  }
}

/** Where signed part PUTs go: `${base}/upload/<uploadID>?partNumber=&expires=&signature=`. */
export const UPLOAD_PATH = '/upload/';

function partLength(up: UploadRow, partNumber: number): number {
  return partNumber < up.part_count ? up.part_size : up.size - up.part_size * (up.part_count - 1);
}

/** Upstream AccessURL: only `type` "" or "image" (with width, height, format) is known. */
export function checkAccessQuery(query: Readonly<Record<string, string>>): void {
  const type = query.type ?? '';
  if (type !== '' && type !== 'image') throw imArgsError('invalid query type');
}

/** The part-URL signing key: random, made once per data dir, so URLs survive a restart. */
function signingKey(db: Db): Buffer {
  stmt(db, "INSERT OR IGNORE INTO server_keys (name, value) VALUES ('object-sign', ?)").run(randomBytes(32));
  const row = stmt<{ value: Uint8Array }>(db, "SELECT value FROM server_keys WHERE name = 'object-sign'").get()!;
  return Buffer.from(row.value);
}
