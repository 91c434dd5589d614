// Object storage on disk, under the IM server's data dir:
//   objects/<hash[0:2]>/<hash>   the content of every completed upload, by hash (written once)
//   uploads/<uploadID>/<n>.<md5> part n of an open upload, named by its own MD5
// Paths are built only from server-made upload IDs, part numbers and hex digests, never from a
// client's object name. A part file is named by the MD5 computed while it was written, so two
// PUTs of the same part cannot leave a file whose name lies about its bytes.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const HEX32 = /^[0-9a-f]{32}$/;

/** The part's bytes did not match the signed size. */
export class PartSizeError extends Error {}

export class ObjectFiles {
  readonly #objects: string;
  readonly #uploads: string;

  constructor(dataDir: string) {
    this.#objects = join(dataDir, 'objects');
    this.#uploads = join(dataDir, 'uploads');
  }

  #contentPath(hash: string): string {
    if (!HEX32.test(hash)) throw new Error('bad content hash');
    return join(this.#objects, hash.slice(0, 2), hash);
  }

  #uploadDir(uploadID: string): string {
    if (!HEX32.test(uploadID)) throw new Error('bad upload id');
    return join(this.#uploads, uploadID);
  }

  #partPath(uploadID: string, partNumber: number, md5: string): string {
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || !HEX32.test(md5)) throw new Error('bad part');
    return join(this.#uploadDir(uploadID), `${partNumber}.${md5}`);
  }

  /**
   * Stream one part to disk. Resolves with its MD5 once exactly `size` bytes were written;
   * rejects with PartSizeError (and keeps nothing) when the body is shorter or longer.
   */
  async writePart(uploadID: string, partNumber: number, size: number, body: Readable): Promise<string> {
    const dir = this.#uploadDir(uploadID);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${partNumber}.${randomBytes(8).toString('hex')}.tmp`);
    const md5 = createHash('md5');
    let seen = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > size) return cb(new PartSizeError(`part ${partNumber} is longer than its ${size} bytes`));
        md5.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { flags: 'wx' }));
      if (seen !== size) throw new PartSizeError(`part ${partNumber} has ${seen} of its ${size} bytes`);
      const digest = md5.digest('hex');
      await rename(tmp, this.#partPath(uploadID, partNumber, digest));
      // A part sent again with other bytes replaces the earlier one: disk use stays bounded by
      // the upload's size, not by how often a client retries.
      for (const f of await readdir(dir)) {
        const m = /^(\d+)\.([0-9a-f]{32})$/.exec(f);
        if (m && Number(m[1]) === partNumber && m[2] !== digest) await rm(join(dir, f), { force: true });
      }
      return digest;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** The size of a stored part, or undefined when there is none with that MD5. */
  async partSize(uploadID: string, partNumber: number, md5: string): Promise<number | undefined> {
    try {
      return (await stat(this.#partPath(uploadID, partNumber, md5))).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Concatenate the listed parts into the content file of `hash`, durably (fsync before the
   * rename), so a URL handed out after this resolves survives a crash.
   */
  async assemble(uploadID: string, parts: readonly string[], hash: string): Promise<void> {
    const target = this.#contentPath(hash);
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = join(this.#uploadDir(uploadID), `assembled.${randomBytes(8).toString('hex')}.tmp`);
    const out = await open(tmp, 'wx');
    try {
      for (let i = 0; i < parts.length; i++) {
        for await (const chunk of createReadStream(this.#partPath(uploadID, i + 1, parts[i]!))) {
          await out.write(chunk as Buffer);
        }
      }
      await out.datasync();
    } catch (e) {
      await out.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await out.close();
    await rename(tmp, target);
  }

  hasContent(hash: string): Promise<boolean> {
    return stat(this.#contentPath(hash)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** A stream of the content of `hash`, bytes [start, end] inclusive. */
  readContent(hash: string, start: number, end: number): ReadStream {
    return createReadStream(this.#contentPath(hash), { start, end });
  }

  removeUpload(uploadID: string): Promise<void> {
    return rm(this.#uploadDir(uploadID), { recursive: true, force: true });
  }

  /** The upload IDs that have a directory (for sweeping leftovers). */
  async uploadDirs(): Promise<string[]> {
    try {
      return (await readdir(this.#uploads)).filter((n) => HEX32.test(n));
    } catch {
      return [];
    }
  }
}
