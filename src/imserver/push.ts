// Online connections by user, and the 2001 push fan-out. A push goes to every connection of
// every recipient; the sender is among the recipients when the message's senderSync allows.

import { PbCoder } from '@openim/protocol';
import { gzipSync } from 'node:zlib';
import type { MsgData } from './codec.ts';
import { isNotificationId } from './convid.ts';
import { encodeResp } from './gateway/frames.ts';

export const WS_PUSH_MSG = 2001;
export const WS_KICK_ONLINE_MSG = 2002;

/** A server-initiated frame (msgIncr ""), encoded once however many connections get it. */
export class OutFrame {
  readonly json: Buffer;
  #gzip: Buffer | undefined;

  constructor(reqIdentifier: number, operationID: string, data: Uint8Array | null) {
    this.json = Buffer.from(encodeResp({ reqIdentifier, msgIncr: '', operationID, errCode: 0, errMsg: '', data }));
  }

  gzipped(): Buffer {
    this.#gzip ??= gzipSync(this.json);
    return this.#gzip;
  }
}

/** What the hub needs from a gateway connection. */
export interface PushTarget {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  sendFrame(frame: OutFrame): void;
  /** Send 2002 and close. */
  kick(): void;
}

export function encodePush(conversationID: string, msg: MsgData): Uint8Array {
  const pull = { [conversationID]: { Msgs: [msg], isEnd: false } };
  const notif = isNotificationId(conversationID);
  return PbCoder.PushMessages.encode({ msgs: notif ? {} : pull, notificationMsgs: notif ? pull : {} }).finish();
}

export class Hub {
  #byUser = new Map<string, Set<PushTarget>>();

  add(c: PushTarget): void {
    let set = this.#byUser.get(c.userID);
    if (!set) this.#byUser.set(c.userID, (set = new Set()));
    set.add(c);
  }

  remove(c: PushTarget): void {
    const set = this.#byUser.get(c.userID);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.#byUser.delete(c.userID);
  }

  connections(userID: string): PushTarget[] {
    return [...(this.#byUser.get(userID) ?? [])];
  }

  all(): PushTarget[] {
    return [...this.#byUser.values()].flatMap((s) => [...s]);
  }

  get size(): number {
    let n = 0;
    for (const s of this.#byUser.values()) n += s.size;
    return n;
  }

  push(userIDs: readonly string[], conversationID: string, msg: MsgData, operationID: string): void {
    const frame = new OutFrame(WS_PUSH_MSG, operationID, encodePush(conversationID, msg));
    for (const u of new Set(userIDs)) {
      const set = this.#byUser.get(u);
      if (set) for (const c of set) c.sendFrame(frame);
    }
  }

  /** Kick the connections of user+platform, all of them or those holding one of `tokens`. */
  kick(userID: string, platformID: number, filter?: (c: PushTarget) => boolean): number {
    let n = 0;
    for (const c of this.connections(userID)) {
      if (c.platformID !== platformID || (filter && !filter(c))) continue;
      this.remove(c);
      c.kick();
      n++;
    }
    return n;
  }
}
