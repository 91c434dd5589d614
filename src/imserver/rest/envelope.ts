// The OpenIM REST envelope: HTTP 200 always, {errCode, errMsg, errDlt, data}, `data` omitted
// when the response is empty (openimsdk/tools apiresp).

import type { ImError } from '../errs.ts';

export interface Envelope {
  errCode: number;
  errMsg: string;
  errDlt: string;
  data?: unknown;
}

export function ok(data: unknown): Envelope {
  const env: Envelope = { errCode: 0, errMsg: '', errDlt: '' };
  if (data !== undefined) env.data = data;
  return env;
}

export function fail(e: ImError): Envelope {
  return { errCode: e.code, errMsg: e.errMsg, errDlt: e.errDlt };
}
