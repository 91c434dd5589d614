// A call result as the worker encoded it: JSON text. The gateway puts `json` on the wire as the
// response's `data` unchanged, so the main thread (shared by every user) neither parses nor
// re-encodes results, however large. Anything else that needs the value decodes it on demand.

export class EncodedResult {
  /** JSON text of the result; '' for a function that returned nothing. */
  readonly json: string;

  constructor(json: string) {
    this.json = json;
  }

  /** The decoded value (JSON.parse is iterative: any depth is safe). */
  get value(): unknown {
    return this.json === '' ? undefined : (JSON.parse(this.json) as unknown);
  }
}

/** A value as callers outside the gateway want it. */
export function decoded(result: unknown): unknown {
  return result instanceof EncodedResult ? result.value : result;
}
