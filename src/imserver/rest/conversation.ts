// /conversation/*: the per-user conversation documents and their version log.

import { createHash } from 'node:crypto';
import { CT_CONVERSATION_CHANGE, CT_PRIVATE_CHAT, type Deliver } from '../msg-kinds.ts';
import { conversationList, toConversation, type ConversationPatch } from '../conversations.ts';
import { conversationIdOf, isNotificationId, SESSION_GROUP, SESSION_SINGLE } from '../convid.ts';
import { inTransaction } from '../db.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import { field, int, obj, optBool, optInt, optStr, required, str, strList, type Body } from './body.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

/** idHash: the first 8 bytes (big-endian) of MD5(JSON of the ID list), as a uint64. */
function idHash(ids: readonly string[]): bigint {
  return createHash('md5').update(JSON.stringify(ids)).digest().readBigUInt64BE(0);
}

/** Compare a JSON-number idHash; values above 2^53 lose precision, so only exact safe values match. */
function sameIdHash(requested: unknown, ids: readonly string[]): boolean {
  if (typeof requested !== 'number' || !Number.isSafeInteger(requested) || requested === 0) return false;
  return BigInt(requested) === idHash(ids);
}

export function fullIds(req: RouteRequest, b: Body, list: string, ids: string[], key: string): Record<string, unknown> {
  const v = req.im.versions.current(list);
  const equal = sameIdHash(field(b, 'idHash'), ids);
  return { version: v.version, versionID: v.versionID, equal, [key]: equal ? null : ids };
}

function patchOf(c: Body): ConversationPatch {
  return {
    recvMsgOpt: optInt(c, 'recvMsgOpt'),
    isPinned: optBool(c, 'isPinned'),
    attachedInfo: optStr(c, 'attachedInfo'),
    isPrivateChat: optBool(c, 'isPrivateChat'),
    ex: optStr(c, 'ex'),
    burnDuration: optInt(c, 'burnDuration'),
    minSeq: optInt(c, 'minSeq'),
    maxSeq: optInt(c, 'maxSeq'),
    groupAtType: optInt(c, 'groupAtType'),
    msgDestructTime: optInt(c, 'msgDestructTime'),
    isMsgDestruct: optBool(c, 'isMsgDestruct'),
  };
}

/**
 * Private chat ("burn after reading") holds for both sides (upstream SetConversations with
 * SyncPeerUserPrivateConversationTx): the peer's document of the single chat gets the same flag,
 * and a 1701 ConversationPrivateChatNotification (isSendMsg, so also stored in the chat) tells
 * both users' devices to re-read the conversation. The peer comes from the owner's stored
 * document, never from the request.
 */
function setPeerPrivate(req: RouteRequest, owner: string, conversationID: string, isPrivate: boolean): Deliver[] {
  const own = req.im.convs.get(owner, conversationID);
  if (own?.conversationType !== SESSION_SINGLE || !own.userID || own.userID === owner) return [];
  const peer = own.userID;
  req.im.convs.ensure(peer, conversationID, SESSION_SINGLE, owner, '');
  req.im.convs.patch(peer, conversationID, { isPrivateChat: isPrivate });
  const tips = { recvID: peer, sendID: owner, isPrivate, conversationID };
  return [req.im.sender.relationNotify({ sendID: owner, recvID: peer, sessionType: SESSION_SINGLE, contentType: CT_PRIVATE_CHAT, tips, isSendMsg: true })];
}

export function registerConversationRoutes(r: Router): void {
  r.add('/conversation/get_all_conversations', {
    auth: 'user',
    handle(req, b) {
      const owner = required(str(b, 'ownerUserID'), 'ownerUserID');
      checkAccess(req, owner);
      return { conversations: req.im.convs.list(owner).map(toConversation) };
    },
  });

  r.add('/conversation/get_conversations', {
    auth: 'user',
    handle(req, b) {
      const owner = required(str(b, 'ownerUserID'), 'ownerUserID');
      checkAccess(req, owner);
      const ids = strList(b, 'conversationIDs');
      if (ids.length === 0) throw imArgsError('conversationIDs is empty');
      return { conversations: req.im.convs.getMany(owner, ids).map(toConversation) };
    },
  });

  r.add('/conversation/get_conversation', {
    auth: 'user',
    handle(req, b) {
      const owner = required(str(b, 'ownerUserID'), 'ownerUserID');
      checkAccess(req, owner);
      const c = req.im.convs.get(owner, required(str(b, 'conversationID'), 'conversationID'));
      if (!c) throw imArgsError('conversation not found');
      return { conversation: toConversation(c) };
    },
  });

  r.add('/conversation/set_conversations', {
    auth: 'user',
    handle(req, b) {
      const userIDs = strList(b, 'userIDs');
      if (userIDs.length === 0) throw imArgsError('userIDs is empty');
      for (const u of userIDs) checkAccess(req, u);
      const c = obj(b, 'conversation');
      if (!c) throw imArgsError('conversation is empty');
      const conversationID = required(str(c, 'conversationID'), 'conversation.conversationID');
      if (isNotificationId(conversationID)) throw imArgsError('conversationID is a notification stream');
      const type = int(c, 'conversationType');
      const patch = patchOf(c);
      if (patch.recvMsgOpt !== undefined && (patch.recvMsgOpt < 0 || patch.recvMsgOpt > 2)) throw imArgsError('recvMsgOpt is invalid');
      const targets = [...new Set(userIDs)];
      for (const u of targets) if (!req.im.users.exists(u)) throw imArgsError(`user ${u} not found`);
      const peer = str(c, 'userID');
      const groupID = str(c, 'groupID');
      // A new document must name a conversation its owner takes part in: holding a document is
      // what lets a user pull a conversation's messages.
      for (const u of targets) {
        if (req.im.convs.get(u, conversationID)) continue;
        if (type === SESSION_GROUP) throw imError(ImCode.GroupIDNotFound, `group ${groupID} not found`);
        if (conversationIdOf({ sessionType: type, sendID: u, recvID: peer, groupID }, false) !== conversationID) {
          throw imArgsError(`conversationID ${conversationID} does not match conversationType ${type} and userID ${peer}`);
        }
        if (!req.im.users.exists(peer)) throw imArgsError(`user ${peer} not found`);
      }
      const privateChat: Deliver[] = [];
      inTransaction(req.im.db, () => {
        for (const u of targets) {
          req.im.convs.ensure(u, conversationID, type, peer, groupID);
          req.im.convs.patch(u, conversationID, patch);
          if (patch.isPrivateChat !== undefined) privateChat.push(...setPeerPrivate(req, u, conversationID, patch.isPrivateChat));
        }
      });
      for (const u of targets) {
        req.im.sender.notify(u, u, CT_CONVERSATION_CHANGE, { userID: u, conversationIDList: [conversationID] }, false)(req.operationID);
      }
      for (const d of privateChat) d(req.operationID);
      return undefined;
    },
  });

  r.add('/conversation/get_incremental_conversations', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      const d = req.im.versions.since(conversationList(userID), str(b, 'versionID'), int(b, 'version'));
      const load = (ids: string[]) => req.im.convs.getMany(userID, ids).map(toConversation);
      return { version: d.version, versionID: d.versionID, full: d.full, delete: d.delete, insert: load(d.insert), update: load(d.update) };
    },
  });

  r.add('/conversation/get_full_conversation_ids', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      const ids = req.im.convs.list(userID).map((c) => c.conversationID);
      return fullIds(req, b, conversationList(userID), ids, 'conversationIDs');
    },
  });

  r.add('/conversation/get_not_notify_conversation_ids', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      return { conversationIDs: req.im.convs.list(userID).filter((c) => c.recvMsgOpt === 2).map((c) => c.conversationID) };
    },
  });

  r.add('/conversation/get_pinned_conversation_ids', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      return { conversationIDs: req.im.convs.list(userID).filter((c) => c.isPinned).map((c) => c.conversationID) };
    },
  });
}
