// /jssdk/*: conversation lists with their last message, for the JS SDK's first screen.
// A protobuf request (Content-Type application/x-protobuf or application/protobuf) gets the
// JSON envelope with `data` = base64 of the protobuf response; a JSON request gets JSON
// (open-im-server internal/api/jssdk).

import { PbCoder, type JsSdkProto } from '@openim/protocol';
import { msgToJson } from '../codec.ts';
import { toConversation, type ConversationRecord } from '../conversations.ts';
import { SESSION_GROUP, SESSION_SINGLE } from '../convid.ts';
import { imArgsError } from '../errs.ts';
import { int, isBody, str, strList, type Body } from './body.ts';
import type { RouteRequest, Router } from './router.ts';

const DEFAULT_COUNT = 100;
const MAX_COUNT = 500;

type ConversationMsg = JsSdkProto.ConversationMsg;

function isProtobuf(req: RouteRequest): boolean {
  return req.contentType.includes('application/x-protobuf') || req.contentType.includes('application/protobuf');
}

function jsonBody(req: RouteRequest): Body {
  if (req.raw.length === 0) throw imArgsError('EOF');
  let v: unknown;
  try {
    v = JSON.parse(req.raw.toString('utf8'));
  } catch (e) {
    throw imArgsError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isBody(v)) throw imArgsError('json: request body must be an object');
  return v;
}

function decodeOr<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw imArgsError(`invalid protobuf: ${(e as Error).message}`);
  }
}

function item(req: RouteRequest, owner: string, c: ConversationRecord): ConversationMsg {
  const seqs = req.im.reader.hasReadAndMaxSeq(owner, [c.conversationID])[c.conversationID];
  const single = c.conversationType === SESSION_SINGLE && c.userID !== '';
  return {
    conversation: toConversation(c),
    lastMsg: req.im.reader.lastMessage(owner, c.conversationID),
    user: single ? req.im.users.get(c.userID) : undefined,
    // The peer's friend row (for its remark) and the group's info, as upstream fills them.
    friend: single ? req.im.friends.only(owner, c.userID) : undefined,
    group: c.conversationType === SESSION_GROUP && c.groupID ? req.im.groups.get(c.groupID) : undefined,
    maxSeq: seqs?.maxSeq ?? 0,
    readSeq: seqs?.hasReadSeq ?? 0,
  };
}

function unread(items: readonly ConversationMsg[]): number {
  return items.reduce((n, i) => n + Math.max(0, i.maxSeq - i.readSeq), 0);
}

function answer(resp: { unreadCount: number; conversations: ConversationMsg[] }, pb: boolean): unknown {
  if (pb) {
    const bytes = PbCoder.GetActiveConversationsResp.encode(resp).finish();
    return Buffer.from(bytes).toString('base64');
  }
  return {
    unreadCount: resp.unreadCount,
    conversations: resp.conversations.map((i) => ({
      ...i,
      lastMsg: i.lastMsg ? msgToJson(i.lastMsg) : null,
      user: i.user ?? null,
      friend: i.friend ?? null,
      group: i.group ?? null,
    })),
  };
}

export function registerJssdkRoutes(r: Router): void {
  r.add('/jssdk/get_active_conversations', {
    auth: 'user',
    raw: true,
    handle(req) {
      const pb = isProtobuf(req);
      let count: number;
      if (pb) count = decodeOr(() => PbCoder.GetActiveConversationsReq.decode(req.raw)).count;
      else count = int(jsonBody(req), 'count');
      if (count <= 0 || count > MAX_COUNT) count = DEFAULT_COUNT;
      // The owner is always the token's user.
      const owner = req.userID;
      const items = req.im.convs
        .list(owner)
        .map((c) => item(req, owner, c))
        .filter((i) => i.lastMsg !== undefined);
      items.sort((a, b) => {
        const pin = Number(b.conversation!.isPinned) - Number(a.conversation!.isPinned);
        return pin || b.lastMsg!.sendTime - a.lastMsg!.sendTime;
      });
      return answer({ unreadCount: unread(items), conversations: items.slice(0, count) }, pb);
    },
  });

  r.add('/jssdk/get_conversations', {
    auth: 'user',
    raw: true,
    handle(req) {
      const pb = isProtobuf(req);
      const ids = pb ? decodeOr(() => PbCoder.GetConversationsReq.decode(req.raw)).conversationIDs : strList(jsonBody(req), 'conversationIDs');
      if (!pb) str(jsonBody(req), 'ownerUserID');
      const owner = req.userID;
      const items = req.im.convs.getMany(owner, ids).map((c) => item(req, owner, c));
      return answer({ unreadCount: unread(items), conversations: items }, pb);
    },
  });
}
