// Sending: validation, seq allocation in the right conversation, lazy conversation documents,
// the sender's automatic read mark, and the recipients of the push. Runs synchronously, so the
// caller answers the request first and then runs the returned Deliver: the echo follows the
// response (to the sending connection only after a pause, see MsgGatewayConn.sendFrame).

import { emptyMsg, type MsgData } from './codec.ts';
import type { Conversations } from './conversations.ts';
import { conversationIdOf, SESSION_GROUP, SESSION_NOTIFICATION, SESSION_SINGLE } from './convid.ts';
import type { Friends } from './friends.ts';
import type { Groups } from './groups.ts';
import { inTransaction, type Db } from './db.ts';
import { imArgsError, ImCode, imError } from './errs.ts';
import { atMarks, CT_AT_TEXT, verifySend } from './send-rules.ts';
import type { Messages } from './messages.ts';
import { CT_CONVERSATION_CHANGE, CT_TYPING, md5Id, MSG_FROM_SYSTEM, NOTHING, STATUS_SEND_SUCCESS, type Deliver } from './msg-kinds.ts';
import {
  notificationOptions,
  optionIs,
  OPT_CONVERSATION_UPDATE,
  OPT_IS_SEND_MSG,
  OPT_HISTORY,
  OPT_IS_NOT_NOTIFICATION,
  OPT_OFFLINE_PUSH,
  OPT_PERSISTENT,
  OPT_SENDER_SYNC,
  OPT_UNREAD_COUNT,
} from './options.ts';
import type { Hub, PushTarget } from './push.ts';
import type { Users } from './users.ts';

export interface SendResult {
  serverMsgID: string;
  clientMsgID: string;
  sendTime: number;
  /** Push with the request's operationID; `origin` is the message gateway connection that sent it. */
  deliver: (origin?: PushTarget) => void;
}

/** A friend (12xx), group (15xx) or private-chat (1701) notification; see Sender.relationNotify. */
export interface RelationNotice {
  sendID: string;
  /** The target user (single) or the groupID (group). */
  recvID: string;
  sessionType: typeof SESSION_SINGLE | typeof SESSION_GROUP;
  contentType: number;
  tips: unknown;
  /** notification.yml isSendMsg: also store a copy in the chat conversation. */
  isSendMsg: boolean;
  /** Group notices: users to push to besides the current members (who quit, were kicked). */
  alsoTo?: readonly string[];
  /** Default true (NewOptions). False when the sender's devices get their own copy separately. */
  senderSync?: boolean;
}

export class Sender {
  #db: Db;
  #users: Users;
  #convs: Conversations;
  #msgs: Messages;
  #hub: Hub;
  #groups: Groups;
  #friends: Friends;
  #admins: ReadonlySet<string>;

  constructor(db: Db, users: Users, convs: Conversations, msgs: Messages, hub: Hub, groups: Groups, friends: Friends, admins: ReadonlySet<string>) {
    this.#db = db;
    this.#users = users;
    this.#convs = convs;
    this.#msgs = msgs;
    this.#hub = hub;
    this.#groups = groups;
    this.#friends = friends;
    this.#admins = admins;
  }

  /** Store (when history) and prepare the push of a user or admin message. */
  send(input: MsgData, operationID: string, now = Date.now()): SendResult {
    const m: MsgData = { ...input, options: { ...input.options } };
    if (!m.sendID) throw imArgsError('sendID is empty');
    if (!(m.contentType > 0)) throw imArgsError('contentType is invalid');
    if (m.sessionType === SESSION_SINGLE || m.sessionType === SESSION_NOTIFICATION) {
      if (!m.recvID) throw imArgsError('recvID is empty');
      if (!this.#users.exists(m.recvID)) throw imError(ImCode.UserIDNotFound, `recvID ${m.recvID} not found`);
    } else if (m.sessionType === SESSION_GROUP) {
      if (!m.groupID) throw imArgsError('groupID is empty');
      m.recvID = '';
    } else {
      throw imArgsError(`sessionType ${m.sessionType} is not supported`);
    }
    verifySend(m, now, this.#groups, this.#friends, this.#admins);
    if (m.contentType === CT_TYPING) {
      for (const k of [OPT_HISTORY, OPT_PERSISTENT, OPT_UNREAD_COUNT, OPT_CONVERSATION_UPDATE, OPT_OFFLINE_PUSH]) m.options[k] = false;
    }
    m.serverMsgID = md5Id(now, m.sendID);
    if (!m.clientMsgID) m.clientMsgID = md5Id(now, m.sendID, 'c');
    if (!m.sendTime) m.sendTime = now;
    m.status = STATUS_SEND_SUCCESS;
    m.isRead = false;
    const deliver = this.#storeAndRoute(m);
    const at = m.sessionType === SESSION_GROUP && m.contentType === CT_AT_TEXT ? this.#atInfo(m) : NOTHING;
    return {
      serverMsgID: m.serverMsgID,
      clientMsgID: m.clientMsgID,
      sendTime: m.sendTime,
      deliver: (origin) => {
        deliver(operationID, origin);
        at(operationID);
      },
    };
  }

  /** An @ message marks the named members' group conversations (atMarks); each gets a 1300. */
  #atInfo(m: MsgData): Deliver {
    const convID = conversationIdOf(m, false);
    const marks = atMarks(m, this.#groups.memberIDs(m.groupID));
    if (marks.size === 0) return NOTHING;
    inTransaction(this.#db, () => {
      for (const [u, groupAtType] of marks) {
        this.#convs.ensure(u, convID, SESSION_GROUP, '', m.groupID);
        this.#convs.patch(u, convID, { groupAtType });
      }
    });
    const ds = [...marks.keys()].map((u) => this.notify(u, u, CT_CONVERSATION_CHANGE, { userID: u, conversationIDList: [convID] }, false));
    return (op) => ds.forEach((d) => d(op));
  }

  /**
   * A server notification from `sendID` to `recvID` (single-chat routing), or to a group's
   * members when `sessionType` is 3 and `recvID` the groupID. Stored ones get a seq in the n_ stream.
   */
  notify(sendID: string, recvID: string, contentType: number, tips: unknown, stored: boolean, now = Date.now(), sessionType = SESSION_SINGLE): Deliver {
    const m: MsgData = {
      ...emptyMsg(),
      sendID,
      recvID,
      groupID: sessionType === SESSION_GROUP ? recvID : '',
      clientMsgID: md5Id(now, sendID, 'n'),
      serverMsgID: md5Id(now, sendID),
      sessionType,
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

  /**
   * A friend or group notification (docs/protocol.md "Notifications"): pushed online only in the n_ stream with seq 0,
   * and when isSendMsg also stored as an ordinary message with a real seq in the chat
   * conversation (si_/sg_), which is what creates the group's conversation documents.
   */
  relationNotify(n: RelationNotice, now = Date.now()): Deliver {
    const group = n.sessionType === SESSION_GROUP;
    const base: MsgData = {
      ...emptyMsg(),
      sendID: n.sendID,
      recvID: n.recvID,
      groupID: group ? n.recvID : '',
      clientMsgID: md5Id(now, n.sendID, 'n'),
      serverMsgID: md5Id(now, n.sendID),
      sessionType: n.sessionType,
      msgFrom: MSG_FROM_SYSTEM,
      contentType: n.contentType,
      content: Buffer.from(JSON.stringify({ detail: JSON.stringify(n.tips) })),
      sendTime: now,
      createTime: now,
      status: STATUS_SEND_SUCCESS,
    };
    const sender = this.#users.get(n.sendID);
    if (sender) {
      base.senderNickname = sender.nickname;
      base.senderFaceURL = sender.faceURL;
    }
    const extra = n.alsoTo ?? [];
    const online = this.#storeAndRoute(
      { ...base, options: { ...notificationOptions(false), [OPT_IS_SEND_MSG]: n.isSendMsg, [OPT_SENDER_SYNC]: n.senderSync ?? true } },
      extra,
    );
    if (!n.isSendMsg) return online;
    const copy = this.#storeAndRoute(
      {
        ...base,
        clientMsgID: md5Id(now, n.sendID, 'c'),
        serverMsgID: md5Id(now, n.sendID, 's'),
        options: { [OPT_IS_NOT_NOTIFICATION]: true, [OPT_UNREAD_COUNT]: false, [OPT_OFFLINE_PUSH]: false, [OPT_IS_SEND_MSG]: true },
      },
      extra,
    );
    return (op) => {
      online(op);
      copy(op);
    };
  }

  /** Who receives a message: the recipient, or every member of the group (plus `extra`). */
  #audience(m: MsgData, extra: readonly string[]): string[] {
    if (m.sessionType === SESSION_GROUP) return [...this.#groups.memberIDs(m.groupID), ...extra];
    return [m.recvID, ...extra];
  }

  #storeAndRoute(m: MsgData, extra: readonly string[] = []): Deliver {
    const notification = !optionIs(m.options, OPT_IS_NOT_NOTIFICATION);
    const convID = conversationIdOf(m, notification);
    const audience = this.#audience(m, extra);
    let out: MsgData = m;
    if (optionIs(m.options, OPT_HISTORY)) {
      out = inTransaction(this.#db, () => {
        const stored = this.#msgs.append(convID, m);
        if (!notification) {
          if (m.sessionType === SESSION_GROUP) {
            // Only current members get (or keep) a document; those who left keep theirs, capped.
            for (const u of this.#groups.memberIDs(m.groupID)) this.#convs.ensure(u, convID, m.sessionType, '', m.groupID);
          } else {
            for (const [owner, peer] of [
              [m.sendID, m.recvID],
              [m.recvID, m.sendID],
            ] as const) {
              this.#convs.ensure(owner, convID, m.sessionType, peer, m.groupID);
            }
          }
          this.#convs.raiseHasReadSeq(m.sendID, convID, stored.seq);
        }
        return stored;
      });
    } else {
      out = { ...m, seq: 0 };
    }
    // A group's sender is among its members; without senderSync it must not get its own message.
    const recipients = m.sessionType === SESSION_GROUP ? audience.filter((u) => u !== m.sendID) : audience;
    if (optionIs(m.options, OPT_SENDER_SYNC)) recipients.push(m.sendID);
    return (op, origin) => this.#hub.push(recipients, convID, out, op, origin);
  }
}
