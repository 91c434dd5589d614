// Friend functions: writes go to the server, then the affected lists are synced (on the serial
// chain, so a notification for the same change cannot interleave) before the call resolves;
// reads come from the local tables.

import type { CoreFunction } from '../contract.ts';
import { argsError, jsonArg, requireObject, requireString, requireStrings } from '../errors.ts';
import type { CoreSession } from '../core-session.ts';
import { syncBlacks, syncFriendRequests, syncFriends } from '../sync/relations.ts';
import type { FriendUserItem } from '../types.ts';
import { online } from './guard.ts';

const optStr = (name: string, v: unknown): string => (v === undefined || v === null ? '' : requireString(name, v));

function fullUser(s: CoreSession, userID: string, f: FriendUserItem | undefined): Record<string, unknown> {
  const b = s.db().friends.black(userID) ?? null;
  const cached = s.db().users.get(userID);
  const named = f ?? b ?? cached;
  return {
    publicInfo: named ? { userID, nickname: named.nickname, faceURL: named.faceURL, ex: cached?.ex ?? '' } : null,
    friendInfo: f ?? null,
    blackInfo: b,
  };
}

export function friendFunctions(s: CoreSession): Record<string, CoreFunction> {
  const self = s.userID;
  const respond = async (operationID: string, params: unknown, handleResult: 1 | -1) => {
    const p = requireObject('params', jsonArg('params', params));
    const toUserID = requireString('toUserID', p.toUserID);
    await online(s).post(
      '/friend/add_friend_response',
      { fromUserID: toUserID, toUserID: self, handleResult, handleMsg: optStr('handleMsg', p.handleMsg) },
      operationID,
    );
    await s.serial(async () => {
      await syncFriendRequests(s, operationID);
      if (handleResult === 1) await syncFriends(s, operationID);
    });
    return '';
  };

  return {
    AcceptFriendApplication: (ctx, params: unknown) => respond(ctx.operationID, params, 1),
    RefuseFriendApplication: (ctx, params: unknown) => respond(ctx.operationID, params, -1),

    async AddFriend(ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const toUserID = requireString('toUserID', p.toUserID);
      if (!toUserID) throw argsError('toUserID is empty');
      await online(s).post('/friend/add_friend', { fromUserID: self, toUserID, reqMsg: optStr('reqMsg', p.reqMsg), ex: optStr('ex', p.ex) }, ctx.operationID);
      await s.serial(() => syncFriendRequests(s, ctx.operationID));
      return '';
    },

    async DeleteFriend(ctx, friendUserID: unknown) {
      const id = requireString('friendUserID', friendUserID);
      await online(s).post('/friend/delete_friend', { ownerUserID: self, friendUserID: id }, ctx.operationID);
      await s.serial(() => syncFriends(s, ctx.operationID));
      return '';
    },

    async SetFriendRemark(ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const toUserID = requireString('toUserID', p.toUserID);
      await online(s).post('/friend/set_friend_remark', { ownerUserID: self, friendUserID: toUserID, remark: optStr('remark', p.remark) }, ctx.operationID);
      await s.serial(() => syncFriends(s, ctx.operationID));
      return '';
    },

    async AddBlack(ctx, toUserID: unknown, ex: unknown) {
      const id = requireString('toUserID', toUserID);
      await online(s).post('/friend/add_black', { ownerUserID: self, blackUserID: id, ex: optStr('ex', ex) }, ctx.operationID);
      await s.serial(() => syncBlacks(s, ctx.operationID));
      return '';
    },

    async RemoveBlack(ctx, removeUserID: unknown) {
      const id = requireString('removeUserID', removeUserID);
      await online(s).post('/friend/remove_black', { ownerUserID: self, blackUserID: id }, ctx.operationID);
      await s.serial(() => syncBlacks(s, ctx.operationID));
      return '';
    },

    async GetFriendList() {
      return s.db().friends.friends().map((f) => fullUser(s, f.userID, f));
    },

    async GetSpecifiedFriendsInfo(_ctx, userIDList: unknown) {
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      const out = [];
      for (const id of ids) {
        const f = s.db().friends.friend(id);
        if (f) out.push(fullUser(s, id, f));
      }
      return out;
    },

    async CheckFriend(_ctx, userIDList: unknown) {
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      return ids.map((userID) => ({ userID, result: s.db().friends.friend(userID) && !s.db().friends.black(userID) ? 1 : 0 }));
    },

    async SearchFriends(_ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const kws = requireStrings('keywordList', p.keywordList ?? []);
      const found = s.db().friends.searchFriends(kws, p.isSearchUserID === true, p.isSearchNickname === true, p.isSearchRemark === true);
      return found.map((f) => ({ ...f, relationship: s.db().friends.black(f.userID) ? 0 : 1 }));
    },

    async GetBlackList() {
      return s.db().friends.blacks();
    },

    async GetFriendApplicationListAsRecipient() {
      return s.db().friends.requestsTo(self);
    },

    async GetFriendApplicationListAsApplicant() {
      return s.db().friends.requestsFrom(self);
    },
  };
}
