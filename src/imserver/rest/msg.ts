// /msg/*: seqs, pulls, read state, revoke, delete, clear, admin send.

import { pullMapToJson, emptyMsg } from '../codec.ts';
import { imArgsError } from '../errs.ts';
import { MSG_FROM_SYSTEM, type Deliver } from '../msg-kinds.ts';
import { onlineOnlyOptions, OPT_OFFLINE_PUSH, type MsgOptions } from '../options.ts';
import { bool, field, int, intList, obj, objList, required, str, strList, type Body } from './body.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

/** Content types /msg/send_msg accepts (open-im-server internal/api/msg.go). */
const ADMIN_SEND_TYPES = new Set([101, 102, 103, 104, 105, 106, 110, 114, 118, 1400]);

function userOf(req: RouteRequest, b: Body): string {
  const userID = required(str(b, 'userID'), 'userID');
  checkAccess(req, userID);
  return userID;
}

/** deleteSyncOpt.IsSyncSelf; absent means OpenIM's zero value (false). */
function syncSelf(b: Body): boolean {
  const opt = obj(b, 'deleteSyncOpt');
  return opt ? bool(opt, 'IsSyncSelf') : false;
}

/** A user route acting on one of the user's conversations; `act` returns what to deliver, the answer is empty. */
function conversationRoute(r: Router, path: string, act: (req: RouteRequest, b: Body, userID: string, conversationID: string) => Deliver): void {
  r.add(path, {
    auth: 'user',
    handle(req, b) {
      act(req, b, userOf(req, b), required(str(b, 'conversationID'), 'conversationID'))(req.operationID);
      return undefined;
    },
  });
}

export function registerMsgRoutes(r: Router): void {
  r.add('/msg/get_server_time', { auth: 'user', handle: () => ({ serverTime: Date.now() }) });

  r.add('/msg/newest_seq', {
    auth: 'user',
    handle: (req, b) => req.im.reader.maxSeqs(userOf(req, b)),
  });

  r.add('/msg/pull_msg_by_seq', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      const ranges = objList(b, 'seqRanges').map((s) => ({
        conversationID: required(str(s, 'conversationID'), 'seqRanges.conversationID'),
        begin: int(s, 'begin'),
        end: int(s, 'end'),
        num: int(s, 'num'),
      }));
      const res = req.im.reader.pullRange(userID, ranges, int(b, 'order'));
      return { msgs: pullMapToJson(res.msgs), notificationMsgs: pullMapToJson(res.notificationMsgs) };
    },
  });

  r.add('/msg/get_conversations_has_read_and_max_seq', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      const seqs = req.im.reader.hasReadAndMaxSeq(userID, strList(b, 'conversationIDs'));
      const out: Record<string, unknown> = { seqs };
      if (bool(b, 'returnPinned')) {
        out.pinnedConversationIDs = req.im.convs.list(userID).filter((c) => c.isPinned).map((c) => c.conversationID);
      }
      return out;
    },
  });

  conversationRoute(r, '/msg/mark_conversation_as_read', (req, b, userID, id) => req.im.ops.markConversationAsRead(userID, id, int(b, 'hasReadSeq'), intList(b, 'seqs')));
  conversationRoute(r, '/msg/mark_msgs_as_read', (req, b, userID, id) => req.im.ops.markMsgsAsRead(userID, id, intList(b, 'seqs')));
  conversationRoute(r, '/msg/set_conversation_has_read_seq', (req, b, userID, id) => req.im.ops.setHasReadSeq(userID, id, int(b, 'hasReadSeq'), bool(b, 'noNotification')));
  conversationRoute(r, '/msg/revoke_msg', (req, b, userID, id) => req.im.ops.revoke(userID, req.isAdmin, id, int(b, 'seq')));
  conversationRoute(r, '/msg/delete_msgs', (req, b, userID, id) => req.im.ops.deleteMsgs(userID, id, intList(b, 'seqs'), syncSelf(b)));

  r.add('/msg/clear_conversation_msg', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      const ids = strList(b, 'conversationIDs');
      if (ids.length === 0) throw imArgsError('conversationIDs is empty');
      req.im.ops.clearConversations(userID, ids, syncSelf(b))(req.operationID);
      return undefined;
    },
  });

  r.add('/msg/user_clear_all_msg', {
    auth: 'user',
    handle(req, b) {
      req.im.ops.clearAll(userOf(req, b), syncSelf(b))(req.operationID);
      return undefined;
    },
  });

  r.add('/msg/send_msg', {
    auth: 'admin',
    handle(req, b) {
      const contentType = int(b, 'contentType');
      if (!ADMIN_SEND_TYPES.has(contentType)) throw imArgsError(`contentType ${contentType} is not supported`);
      const content = field(b, 'content');
      if (typeof content !== 'object' || content === null || Array.isArray(content)) throw imArgsError('content must be an object');
      let options: MsgOptions = {};
      if (bool(b, 'isOnlineOnly')) options = onlineOnlyOptions(options);
      if (bool(b, 'notOfflinePush')) options[OPT_OFFLINE_PUSH] = false;
      const push = obj(b, 'offlinePushInfo');
      const now = Date.now();
      const res = req.im.sender.send(
        {
          ...emptyMsg(),
          sendID: required(str(b, 'sendID'), 'sendID'),
          recvID: str(b, 'recvID'),
          groupID: str(b, 'groupID'),
          senderPlatformID: int(b, 'senderPlatformID'),
          senderNickname: str(b, 'senderNickname'),
          senderFaceURL: str(b, 'senderFaceURL'),
          sessionType: int(b, 'sessionType'),
          msgFrom: MSG_FROM_SYSTEM,
          contentType,
          content: Buffer.from(JSON.stringify(content)),
          sendTime: int(b, 'sendTime'),
          createTime: now,
          options,
          offlinePushInfo: push
            ? {
                title: str(push, 'title'),
                desc: str(push, 'desc'),
                ex: str(push, 'ex'),
                iOSPushSound: str(push, 'iOSPushSound'),
                iOSBadgeCount: bool(push, 'iOSBadgeCount'),
                signalInfo: str(push, 'signalInfo'),
              }
            : undefined,
          ex: str(b, 'ex'),
        },
        req.operationID,
        now,
      );
      res.deliver();
      return { serverMsgID: res.serverMsgID, clientMsgID: res.clientMsgID, sendTime: res.sendTime };
    },
  });
}
