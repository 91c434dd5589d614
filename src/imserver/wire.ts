// A tiny protobuf wire reader/writer for the few messages @openim/protocol has no coder for
// (GetMaxSeqReq, GetLastMessageReq/Resp, DelUserPushTokenReq). Varints are kept below 2^53.

import { ImCode, imError } from './errs.ts';

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;

export class WireReader {
  #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#buf.length) throw bad('truncated varint');
      const b = this.#buf[this.#pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) throw bad('varint too large');
        return result;
      }
      mul *= 128;
    }
    throw bad('varint too long');
  }

  tag(): { field: number; wireType: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wireType: t & 7 };
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (this.#pos + len > this.#buf.length) throw bad('truncated field');
    const out = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return out;
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  skip(wireType: number): void {
    if (wireType === WT_VARINT) this.varint();
    else if (wireType === WT_LEN) this.bytes();
    else if (wireType === WT_I64) this.#advance(8);
    else if (wireType === WT_I32) this.#advance(4);
    else throw bad(`unsupported wire type ${wireType}`);
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#buf.length) throw bad('truncated field');
    this.#pos += n;
  }
}

function bad(detail: string) {
  return imError(ImCode.Args, `protobuf: ${detail}`);
}

export class WireWriter {
  #chunks: number[] = [];
  #parts: Uint8Array[] = [];

  varint(v: number): this {
    let n = Math.max(0, Math.floor(v));
    while (n >= 0x80) {
      this.#chunks.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.#chunks.push(n);
    return this;
  }

  #flush(): void {
    if (this.#chunks.length) {
      this.#parts.push(Uint8Array.from(this.#chunks));
      this.#chunks = [];
    }
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint(field * 8 + WT_LEN).varint(data.length);
    this.#flush();
    this.#parts.push(data);
    return this;
  }

  stringField(field: number, s: string): this {
    return this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  finish(): Uint8Array {
    this.#flush();
    return Buffer.concat(this.#parts);
  }
}

/** Read a message into per-field handlers; unknown fields are skipped. */
export function readFields(buf: Uint8Array, on: (r: WireReader, field: number, wireType: number) => boolean): void {
  const r = new WireReader(buf);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (!on(r, field, wireType)) r.skip(wireType);
  }
}
