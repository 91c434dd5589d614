// Message constants the server itself uses, and server-side message IDs.

import { createHash, randomBytes } from 'node:crypto';
import type { PushTarget } from './push.ts';

export const MSG_FROM_SYSTEM = 200;
export const STATUS_SEND_SUCCESS = 2;

// contentType (openimsdk/protocol constant.go)
export const CT_TYPING = 113;
export const CT_CONVERSATION_CHANGE = 1300;
export const CT_USER_INFO_UPDATED = 1303;
export const CT_PRIVATE_CHAT = 1701;
export const CT_CLEAR_CONVERSATION = 1703;
export const CT_REVOKE = 2101;
export const CT_DELETE_MSGS = 2102;
export const CT_HAS_READ_RECEIPT = 2200;

/**
 * Pushes a stored or online-only message; run it after answering the request that caused it.
 * `origin`: the message gateway connection that sent it (its copy is the echo, see PushTarget.sendFrame).
 */
export type Deliver = (operationID: string, origin?: PushTarget) => void;
export const NOTHING: Deliver = () => {};

// Unique inputs for md5 IDs without a random draw per message: a per-process nonce and a counter.
const ID_NONCE = randomBytes(8).toString('hex');
let idCounter = 0;

/** serverMsgID / clientMsgID style: 32 hex digits. */
export function md5Id(...parts: (string | number)[]): string {
  return createHash('md5').update(`${parts.join('-')}-${ID_NONCE}-${++idCounter}`).digest('hex');
}
