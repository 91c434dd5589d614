// Per-user operations on stored messages: read marks (with 2200 receipts), revoke (2101),
// delete-for-me (2102) and clear (1703). Each returns the Deliver of its notification.

import type { ConversationRecord, Conversations } from './conversations.ts';
import { SESSION_GROUP, SESSION_SINGLE } from './convid.ts';
import { inTransaction, type Db } from './db.ts';
import { imArgsError, ImCode, imError } from './errs.ts';
import { ROLE_ADMIN, ROLE_MEMBER, ROLE_OWNER, type Groups } from './groups.ts';
import type { Messages } from './messages.ts';
import { CT_CLEAR_CONVERSATION, CT_DELETE_MSGS, CT_HAS_READ_RECEIPT, CT_REVOKE, NOTHING, type Deliver } from './msg-kinds.ts';
import type { Sender } from './send.ts';
import type { Users } from './users.ts';

/** A group read receipt names at most this many seqs (the newest): one notice stays small. */
const MAX_RECEIPT_SEQS = 1000;

export class MsgOps {
  #db: Db;
  #users: Users;
  #convs: Conversations;
  #msgs: Messages;
  #sender: Sender;
  #groups: Groups;

  constructor(db: Db, users: Users, convs: Conversations, msgs: Messages, sender: Sender, groups: Groups) {
    this.#db = db;
    this.#users = users;
    this.#convs = convs;
    this.#msgs = msgs;
    this.#sender = sender;
    this.#groups = groups;
  }

  /**
   * Who may revoke a group message (open-im-server msg/revoke.go): its sender, the owner, or an
   * admin when the sender is an ordinary member. Answers the revoker's role for the notice.
   */
  #groupRevokerRole(groupID: string, opUserID: string, sendID: string): number {
    const op = this.#groups.member(groupID, opUserID);
    if (opUserID === sendID) return op?.roleLevel ?? 0;
    const senderRole = this.#groups.member(groupID, sendID)?.roleLevel ?? ROLE_MEMBER;
    if (op?.roleLevel === ROLE_OWNER || (op?.roleLevel === ROLE_ADMIN && senderRole === ROLE_MEMBER)) return op.roleLevel;
    throw imError(ImCode.NoPermission, `${opUserID} may not revoke this message`);
  }

  #ownConversation(userID: string, conversationID: string): ConversationRecord {
    const c = this.#convs.get(userID, conversationID);
    if (!c) throw imError(ImCode.RecordNotFound, `conversation ${conversationID} not found`);
    return c;
  }

  /** The 2200 receipt: single chats go to the peer (and the reader's devices), others to the reader's own stream. */
  #readReceipt(c: ConversationRecord, userID: string, seqs: readonly number[], hasReadSeq: number): Deliver {
    const tips = { markAsReadUserID: userID, conversationID: c.conversationID, seqs, hasReadSeq };
    const peer = c.conversationType === SESSION_SINGLE && c.userID ? c.userID : userID;
    return this.#sender.notify(userID, peer, CT_HAS_READ_RECEIPT, tips, true);
  }

  /**
   * The group has-read notice (upstream: the 2200 that /msg/mark_msgs_as_read sends with the
   * group's sessionType): stored in n_<groupID> and pushed to every member, so the senders of
   * the seqs count their readers and the reader's other devices move its read mark.
   */
  #groupReadReceipt(c: ConversationRecord, userID: string, seqs: readonly number[], hasReadSeq: number): Deliver {
    const tips = { markAsReadUserID: userID, conversationID: c.conversationID, seqs: seqs.slice(-MAX_RECEIPT_SEQS), hasReadSeq };
    return this.#sender.notify(userID, c.groupID, CT_HAS_READ_RECEIPT, tips, true, Date.now(), SESSION_GROUP);
  }

  markConversationAsRead(userID: string, conversationID: string, hasReadSeq: number, seqs: readonly number[]): Deliver {
    return inTransaction(this.#db, () => {
      const c = this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      if (hasReadSeq > maxSeq) throw imArgsError(`hasReadSeq ${hasReadSeq} is bigger than maxSeq ${maxSeq}`);
      const before = c.hasReadSeq;
      const now = this.#convs.setHasReadSeq(userID, conversationID, hasReadSeq);
      // As open-im-server MarkConversationAsRead: a single chat marks the seqs of the read range
      // plus those the client names below it (it read them after a reply raised hasReadSeq).
      let marked: number[] = [];
      if (c.conversationType === SESSION_SINGLE) {
        const range = now > before ? this.#msgs.seqsFromOthers(conversationID, before, now, userID) : [];
        marked = [...new Set([...range, ...seqs.filter((s) => s > 0 && s <= maxSeq)])].sort((a, b) => a - b);
        this.#msgs.markRead(conversationID, marked);
      }
      // A group read past other members' messages tells the group (open-im-sdk@3.5.2 has only
      // this call to mark a group read; upstream's mark_conversation_as_read tells the reader alone).
      if (c.conversationType === SESSION_GROUP && now > before) {
        const read = this.#msgs.seqsFromOthers(conversationID, before, now, userID);
        if (read.length > 0) return this.#groupReadReceipt(c, userID, read, now);
      }
      if (marked.length === 0 && now === before) return NOTHING;
      return this.#readReceipt(c, userID, marked, now);
    });
  }

  markMsgsAsRead(userID: string, conversationID: string, seqs: readonly number[]): Deliver {
    if (seqs.length === 0) throw imArgsError('seqs is empty');
    return inTransaction(this.#db, () => {
      const c = this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      const valid = seqs.filter((s) => s > 0 && s <= maxSeq);
      const top = Math.max(0, ...valid);
      const now = top > c.hasReadSeq ? this.#convs.setHasReadSeq(userID, conversationID, top) : c.hasReadSeq;
      if (c.conversationType === SESSION_SINGLE) this.#msgs.markRead(conversationID, valid);
      if (c.conversationType === SESSION_GROUP) return this.#groupReadReceipt(c, userID, valid, now);
      return this.#readReceipt(c, userID, valid, now);
    });
  }

  setHasReadSeq(userID: string, conversationID: string, hasReadSeq: number, noNotification: boolean): Deliver {
    return inTransaction(this.#db, () => {
      this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      if (hasReadSeq < 0 || hasReadSeq > maxSeq) throw imArgsError(`hasReadSeq ${hasReadSeq} is outside [0, maxSeq ${maxSeq}]`);
      const now = this.#convs.setHasReadSeq(userID, conversationID, hasReadSeq, true);
      if (noNotification) return NOTHING;
      return this.#sender.notify(userID, userID, CT_HAS_READ_RECEIPT, { markAsReadUserID: userID, conversationID, seqs: [], hasReadSeq: now }, true);
    });
  }

  /** Revoke: the message reads back as 2101; a 2101 notice is stored in the n_ stream. */
  revoke(opUserID: string, isAdmin: boolean, conversationID: string, seq: number, now = Date.now()): Deliver {
    if (!(seq > 0)) throw imArgsError('seq is invalid');
    return inTransaction(this.#db, () => {
      if (!isAdmin) this.#ownConversation(opUserID, conversationID);
      const raw = this.#msgs.raw(conversationID, seq);
      if (!raw) throw imError(ImCode.RecordNotFound, `msg ${conversationID}:${seq} not found`);
      if (raw.revoked) throw imError(ImCode.MsgAlreadyRevoke, 'msg already revoked');
      const m = raw.msg;
      const group = m.sessionType === SESSION_GROUP;
      let role = 0;
      if (group && !isAdmin) role = this.#groupRevokerRole(m.groupID, opUserID, m.sendID);
      else if (!isAdmin && m.sendID !== opUserID) throw imError(ImCode.NoPermission, 'only the sender can revoke this message');
      const revoker = this.#users.get(opUserID);
      this.#msgs.setRevoked(conversationID, seq, {
        revokerID: opUserID,
        revokerRole: role,
        revokerNickname: revoker?.nickname ?? '',
        revokeTime: now,
        isAdminRevoke: isAdmin,
      });
      const tips = {
        revokerUserID: opUserID,
        clientMsgID: m.clientMsgID,
        revokeTime: now,
        sesstionType: m.sessionType,
        seq,
        conversationID,
        isAdminRevoke: isAdmin,
      };
      // A group's revoke notice goes to its members, stored in n_<groupID>.
      if (group) return this.#sender.notify(opUserID, m.groupID, CT_REVOKE, tips, true, now, SESSION_GROUP);
      const peer = m.sendID === opUserID ? m.recvID : m.sendID;
      return this.#sender.notify(opUserID, peer, CT_REVOKE, tips, true, now);
    });
  }

  deleteMsgs(userID: string, conversationID: string, seqs: readonly number[], syncSelf: boolean): Deliver {
    if (seqs.length === 0) throw imArgsError('seqs is empty');
    return inTransaction(this.#db, () => {
      this.#ownConversation(userID, conversationID);
      this.#msgs.deleteForUser(userID, conversationID, seqs);
      if (!syncSelf) return NOTHING;
      return this.#sender.notify(userID, userID, CT_DELETE_MSGS, { userID, conversationID, seqs }, true);
    });
  }

  /** Clear for one user: its minSeq moves past the current maxSeq. */
  clearConversations(userID: string, conversationIDs: readonly string[], syncSelf: boolean): Deliver {
    return inTransaction(this.#db, () => {
      const cleared: string[] = [];
      for (const id of conversationIDs) {
        const c = this.#ownConversation(userID, id);
        const { maxSeq } = this.#msgs.seqInfo(id);
        this.#convs.patch(userID, id, { minSeq: maxSeq + 1 });
        this.#convs.setHasReadSeq(userID, id, Math.max(c.hasReadSeq, maxSeq));
        cleared.push(id);
      }
      if (!syncSelf || cleared.length === 0) return NOTHING;
      return this.#sender.notify(userID, userID, CT_CLEAR_CONVERSATION, { userID, conversationIDs: cleared }, false);
    });
  }

  clearAll(userID: string, syncSelf: boolean): Deliver {
    return this.clearConversations(
      userID,
      this.#convs.list(userID).map((c) => c.conversationID),
      syncSelf,
    );
  }
}
