// Sending: validation, seq allocation in the right conversation, lazy conversation documents,
// the sender's automatic read mark, and the recipients of the push. Runs synchronously, so the
// caller answers the request first and then runs the returned Deliver: the echo follows the
// response.

import { emptyMsg, type MsgData } from './codec.ts';
import type { Conversations } from './conversations.ts';
import { conversationIdOf, SESSION_GROUP, SESSION_NOTIFICATION, SESSION_SINGLE } from './convid.ts';
import { inTransaction, type Db } from './db.ts';
import { argsError, ImCode, imError } from './errs.ts';
import type { Messages } from './messages.ts';
import { CT_TYPING, md5Id, MSG_FROM_SYSTEM, STATUS_SEND_SUCCESS, type Deliver } from './msg-kinds.ts';
import {
  notificationOptions,
  optionIs,
  OPT_CONVERSATION_UPDATE,
  OPT_HISTORY,
  OPT_IS_NOT_NOTIFICATION,
  OPT_OFFLINE_PUSH,
  OPT_PERSISTENT,
  OPT_SENDER_SYNC,
  OPT_UNREAD_COUNT,
} from './options.ts';
import type { Hub } from './push.ts';
import type { Users } from './users.ts';

export interface SendResult {
  serverMsgID: string;
  clientMsgID: string;
  sendTime: number;
  /** Push with the request's operationID. */
  deliver: () => void;
}

export class Sender {
  #db: Db;
  #users: Users;
  #convs: Conversations;
  #msgs: Messages;
  #hub: Hub;

  constructor(db: Db, users: Users, convs: Conversations, msgs: Messages, hub: Hub) {
    this.#db = db;
    this.#users = users;
    this.#convs = convs;
    this.#msgs = msgs;
    this.#hub = hub;
  }

  /** Store (when history) and prepare the push of a user or admin message. */
  send(input: MsgData, operationID: string, now = Date.now()): SendResult {
    const m: MsgData = { ...input, options: { ...input.options } };
    if (!m.sendID) throw argsError('sendID is empty');
    if (!(m.contentType > 0)) throw argsError('contentType is invalid');
    if (m.sessionType === SESSION_SINGLE || m.sessionType === SESSION_NOTIFICATION) {
      if (!m.recvID) throw argsError('recvID is empty');
      if (!this.#users.exists(m.recvID)) throw imError(ImCode.UserIDNotFound, `recvID ${m.recvID} not found`);
    } else if (m.sessionType === SESSION_GROUP) {
      if (!m.groupID) throw argsError('groupID is empty');
      throw imError(ImCode.GroupIDNotFound, `group ${m.groupID} not found`);
    } else {
      throw argsError(`sessionType ${m.sessionType} is not supported`);
    }
    if (m.contentType === CT_TYPING) {
      for (const k of [OPT_HISTORY, OPT_PERSISTENT, OPT_UNREAD_COUNT, OPT_CONVERSATION_UPDATE, OPT_OFFLINE_PUSH]) m.options[k] = false;
    }
    m.serverMsgID = md5Id(now, m.sendID);
    if (!m.clientMsgID) m.clientMsgID = md5Id(now, m.sendID, 'c');
    if (!m.sendTime) m.sendTime = now;
    m.status = STATUS_SEND_SUCCESS;
    m.isRead = false;
    const deliver = this.#storeAndRoute(m);
    return { serverMsgID: m.serverMsgID, clientMsgID: m.clientMsgID, sendTime: m.sendTime, deliver: () => deliver(operationID) };
  }

  /** A server notification from `sendID` to `recvID` (single-chat routing). Stored ones get a seq. */
  notify(sendID: string, recvID: string, contentType: number, tips: unknown, stored: boolean, now = Date.now()): Deliver {
    const m: MsgData = {
      ...emptyMsg(),
      sendID,
      recvID,
      clientMsgID: md5Id(now, sendID, 'n'),
      serverMsgID: md5Id(now, sendID),
      sessionType: SESSION_SINGLE,
      msgFrom: MSG_FROM_SYSTEM,
      contentType,
      content: Buffer.from(JSON.stringify({ detail: JSON.stringify(tips) })),
      sendTime: now,
      createTime: now,
      status: STATUS_SEND_SUCCESS,
      options: notificationOptions(stored),
    };
    return this.#storeAndRoute(m);
  }

  #storeAndRoute(m: MsgData): Deliver {
    const notification = !optionIs(m.options, OPT_IS_NOT_NOTIFICATION);
    const convID = conversationIdOf(m, notification);
    let out: MsgData = m;
    if (optionIs(m.options, OPT_HISTORY)) {
      out = inTransaction(this.#db, () => {
        const stored = this.#msgs.append(convID, m);
        if (!notification) {
          for (const [owner, peer] of [
            [m.sendID, m.recvID],
            [m.recvID, m.sendID],
          ] as const) {
            this.#convs.ensure(owner, convID, m.sessionType, peer, m.groupID);
          }
          this.#convs.raiseHasReadSeq(m.sendID, convID, stored.seq);
        }
        return stored;
      });
    } else {
      out = { ...m, seq: 0 };
    }
    const recipients = [m.recvID];
    if (optionIs(m.options, OPT_SENDER_SYNC)) recipients.push(m.sendID);
    return (op: string) => this.#hub.push(recipients, convID, out, op);
  }
}
