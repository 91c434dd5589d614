// Reading a JSON request body the way Go's encoding/json fills a protobuf struct: keys match
// case-insensitively, unknown keys are ignored, missing or null means the zero value, and a
// value of the wrong type is an ArgsError. Wrapper fields (StringValue, ...) read as
// "undefined = not set".

import { imArgsError } from '../errs.ts';

export type Body = Record<string, unknown>;

export function isBody(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function field(b: Body, key: string): unknown {
  if (Object.hasOwn(b, key)) return b[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(b)) if (k.toLowerCase() === lower) return b[k];
  return undefined;
}

function typeError(key: string, want: string, got: unknown): Error {
  const kind = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  return imArgsError(`json: cannot unmarshal ${kind} into field ${key} of type ${want}`);
}

export function str(b: Body, key: string): string {
  const v = field(b, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeError(key, 'string', v);
  return v;
}

/** An integer (int32/int64 fields). Floats, strings and out-of-range values are refused. */
export function int(b: Body, key: string): number {
  return intValue(field(b, key), key);
}

function intValue(v: unknown, key: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw typeError(key, 'int64', v);
  return v;
}

export function bool(b: Body, key: string): boolean {
  const v = field(b, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw typeError(key, 'bool', v);
  return v;
}

export function strList(b: Body, key: string): string[] {
  const v = field(b, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw typeError(key, '[]string', v);
  return v.map((x) => {
    if (typeof x !== 'string') throw typeError(key, '[]string', x);
    return x;
  });
}

export function intList(b: Body, key: string): number[] {
  const v = field(b, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw typeError(key, '[]int64', v);
  return v.map((x) => intValue(x, key));
}

export function obj(b: Body, key: string): Body | undefined {
  const v = field(b, key);
  if (v === undefined || v === null) return undefined;
  if (!isBody(v)) throw typeError(key, 'object', v);
  return v;
}

export function objList(b: Body, key: string): Body[] {
  const v = field(b, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw typeError(key, '[]object', v);
  return v.map((x) => {
    if (!isBody(x)) throw typeError(key, '[]object', x);
    return x;
  });
}

// Wrapper types: absent or null = not set.
export function optStr(b: Body, key: string): string | undefined {
  const v = field(b, key);
  return v === undefined || v === null ? undefined : str(b, key);
}

export function optInt(b: Body, key: string): number | undefined {
  const v = field(b, key);
  return v === undefined || v === null ? undefined : int(b, key);
}

export function optBool(b: Body, key: string): boolean | undefined {
  const v = field(b, key);
  return v === undefined || v === null ? undefined : bool(b, key);
}

export function required(value: string, key: string): string {
  if (!value) throw imArgsError(`${key} is empty`);
  return value;
}

/**
 * OpenIM's cap on the user IDs of one request (openimsdk/protocol constant.ParamMaxLength,
 * checked by CreateGroupReq, InviteUserToGroupReq, KickGroupMemberReq, SetGroupMemberInfoReq,
 * ImportFriendReq, UpdateFriendsReq and GetSpecifiedFriendsInfoReq: 1001 ArgsError).
 */
const PARAM_MAX_LENGTH = 1000;

export function maxLength<T>(list: T[], key: string): T[] {
  if (list.length > PARAM_MAX_LENGTH) throw imArgsError(`too many ${key}, need to be less than ${PARAM_MAX_LENGTH}`);
  return list;
}
