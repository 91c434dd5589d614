// The OpenIM server's own size and count limits, so the core refuses up front what the server
// would refuse, or answer by closing the user's long connection (which fails every request in
// flight on it, not just the oversized one: issue 9).
//
//   limit                                   value    upstream
//   one frame to the message gateway        51,200   open-im-server internal/msggateway/constant.go
//     (a 1003 message, a 2005 subscription,  bytes    maxMessageSize, the gorilla read limit (v3.5.1
//      any request)                                   to v3.8.3; `websocketMaxMsgLen` in the config
//                                                     is never applied). Past it the server closes.
//   user IDs in one group request           1,000    openimsdk/protocol constant.ParamMaxLength:
//     (CreateGroup members, InviteUserToGroup,        CreateGroupReq, InviteUserToGroupReq and
//      KickGroupMember)                               KickGroupMemberReq .Check() answer 1001
//
// Not limited upstream, so not here either: text and custom-data fields of REST requests (bounded
// only by the gateway's --max-payload frame), search keywords (local), group member and user
// lookups (no Check() bound). docs/core.md "Limits" lists them.

import { CodedError, SdkCode } from './errors.ts';

export const WS_MAX_FRAME_BYTES = 51_200;
export const MAX_IDS_PER_REQUEST = 1_000;

export function limitExceeded(what: string, size: number, limit: number, unit: string): CodedError {
  return new CodedError(SdkCode.LimitExceeded, `LimitExceeded: ${what} is ${size} ${unit}; the OpenIM server accepts at most ${limit}`);
}

/** Refuse a list of user IDs longer than the server takes in one request. */
export function checkIdCount(name: string, ids: readonly unknown[]): void {
  if (ids.length > MAX_IDS_PER_REQUEST) throw limitExceeded(name, ids.length, MAX_IDS_PER_REQUEST, 'user IDs');
}
