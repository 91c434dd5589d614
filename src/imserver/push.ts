// Online connections by user, the 2001 push fan-out, and online-status subscriptions (2005).
// A push goes to every connection of every recipient; the sender is among the recipients when
// the message's senderSync allows. A subscriber hears about a user whenever the set of that
// user's online platforms changes (open-im-server internal/msggateway/subscription.go).

import { PbCoder } from '@openim/protocol';
import { gzipSync } from 'node:zlib';
import type { MsgData } from './codec.ts';
import { isNotificationId } from './convid.ts';
import { encodeResp } from './msg-gateway/frames.ts';

const WS_PUSH_MSG = 2001;
export const WS_KICK_ONLINE_MSG = 2002;
export const WS_SUB_USER_ONLINE_STATUS = 2005;

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

/** What the hub needs from a message gateway connection. */
export interface PushTarget {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  /**
   * `echo`: the frame is the push of a message this connection just sent (1003); it leaves only
   * after the response has had time to be processed (MsgGatewayConn holds it, in order).
   */
  sendFrame(frame: OutFrame, echo?: boolean): void;
  /** Send 2002 and close. */
  kick(): void;
}

function encodePush(conversationID: string, msg: MsgData): Uint8Array {
  const pull = { [conversationID]: { Msgs: [msg], isEnd: false } };
  const notif = isNotificationId(conversationID);
  return PbCoder.PushMessages.encode({ msgs: notif ? {} : pull, notificationMsgs: notif ? pull : {} }).finish();
}

export function encodeOnlineStatus(statuses: readonly { userID: string; onlinePlatformIDs: number[] }[]): Uint8Array {
  return PbCoder.SubUserOnlineStatusTips.encode({ subscribers: [...statuses] }).finish();
}

export class Hub {
  #byUser = new Map<string, Set<PushTarget>>();
  /** userID → the connections subscribed to its online status, and the reverse. */
  #subscribers = new Map<string, Set<PushTarget>>();
  #subscriptions = new Map<PushTarget, Set<string>>();

  add(c: PushTarget): void {
    const before = this.platforms(c.userID);
    let set = this.#byUser.get(c.userID);
    if (!set) this.#byUser.set(c.userID, (set = new Set()));
    set.add(c);
    this.#statusChanged(c.userID, before);
  }

  remove(c: PushTarget): void {
    this.subscribe(c, [], [...(this.#subscriptions.get(c) ?? [])]);
    const set = this.#byUser.get(c.userID);
    if (!set?.has(c)) return;
    const before = this.platforms(c.userID);
    set.delete(c);
    if (set.size === 0) this.#byUser.delete(c.userID);
    this.#statusChanged(c.userID, before);
  }

  /** The user's online platform IDs, ascending, without repeats. */
  platforms(userID: string): number[] {
    const set = this.#byUser.get(userID);
    if (!set) return [];
    return [...new Set([...set].map((c) => c.platformID))].sort((a, b) => a - b);
  }

  subscribe(c: PushTarget, add: readonly string[], del: readonly string[]): void {
    let mine = this.#subscriptions.get(c);
    for (const u of del) {
      if (add.includes(u) || !mine?.delete(u)) continue;
      const subs = this.#subscribers.get(u);
      subs?.delete(c);
      if (subs?.size === 0) this.#subscribers.delete(u);
    }
    for (const u of add) {
      if (!mine) this.#subscriptions.set(c, (mine = new Set()));
      mine.add(u);
      let subs = this.#subscribers.get(u);
      if (!subs) this.#subscribers.set(u, (subs = new Set()));
      subs.add(c);
    }
    if (mine?.size === 0) this.#subscriptions.delete(c);
  }

  #statusChanged(userID: string, before: readonly number[]): void {
    const subs = this.#subscribers.get(userID);
    if (!subs?.size) return;
    const now = this.platforms(userID);
    if (now.length === before.length && now.every((p, i) => p === before[i])) return;
    const frame = new OutFrame(WS_SUB_USER_ONLINE_STATUS, '', encodeOnlineStatus([{ userID, onlinePlatformIDs: now }]));
    for (const s of subs) s.sendFrame(frame);
  }

  connections(userID: string): PushTarget[] {
    return [...(this.#byUser.get(userID) ?? [])];
  }

  /** `origin`: the connection whose 1003 produced the message; its copy is the echo. */
  push(userIDs: readonly string[], conversationID: string, msg: MsgData, operationID: string, origin?: PushTarget): void {
    const frame = new OutFrame(WS_PUSH_MSG, operationID, encodePush(conversationID, msg));
    for (const u of new Set(userIDs)) {
      const set = this.#byUser.get(u);
      if (set) for (const c of set) c.sendFrame(frame, c === origin);
    }
  }

  /** Kick the connections of user+platform: all of them, or those `filter` selects. */
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
