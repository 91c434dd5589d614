// GetSelfUserInfo, SetSelfInfo, GetUsersInfoWithCache, SetGlobalRecvMessageOpt,
// SetAppBackgroundStatus, NetworkStatusChanged.

import type { CoreFunction } from '../contract.ts';
import { argsError, jsonArg, requireObject, requireStrings } from '../errors.ts';
import { encodeUserReq, ReqId } from '../net/codec.ts';
import type { CoreSession } from '../core-session.ts';
import { refreshSelf, usersCached } from '../sync/users.ts';
import { online } from './guard.ts';

export function userFunctions(s: CoreSession): Record<string, CoreFunction> {
  const update = async (operationID: string, patch: Record<string, unknown>) => {
    await online(s).post('/user/update_user_info_ex', { userInfo: { userID: s.userID, ...patch } }, operationID);
    await refreshSelf(s, operationID);
  };

  return {
    async GetSelfUserInfo(ctx) {
      if (!s.db().users.getSelf(s.userID) && s.rest) await refreshSelf(s, ctx.operationID, false);
      return s.self();
    },

    async SetSelfInfo(ctx, info: unknown) {
      const o = requireObject('userInfo', jsonArg('userInfo', info));
      const patch: Record<string, unknown> = {};
      for (const k of ['nickname', 'faceURL', 'ex'] as const) {
        if (o[k] === undefined || o[k] === null) continue;
        if (typeof o[k] !== 'string') throw argsError(`${k} must be a string`);
        patch[k] = o[k];
      }
      if (o.globalRecvMsgOpt !== undefined && o.globalRecvMsgOpt !== null) {
        if (typeof o.globalRecvMsgOpt !== 'number') throw argsError('globalRecvMsgOpt must be a number');
        patch.globalRecvMsgOpt = o.globalRecvMsgOpt;
      }
      if (typeof o.userID === 'string' && o.userID !== '' && o.userID !== s.userID) throw argsError('userID is not the logged-in user');
      await update(ctx.operationID, patch);
      return '';
    },

    async SetGlobalRecvMessageOpt(ctx, opt: unknown) {
      if (opt !== 0 && opt !== 1 && opt !== 2) throw argsError('opt must be 0, 1 or 2');
      await update(ctx.operationID, { globalRecvMsgOpt: opt });
      return '';
    },

    async GetUsersInfoWithCache(ctx, userIDList: unknown, groupID?: unknown) {
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      const gid = typeof groupID === 'string' ? groupID : '';
      const got = await usersCached(s, ids, ctx.operationID);
      const out = [];
      for (const id of ids) {
        const u = got.get(id);
        if (!u) continue;
        out.push({
          publicInfo: { userID: u.userID, nickname: u.nickname, faceURL: u.faceURL, ex: u.ex },
          friendInfo: s.db().friends.friend(id) ?? null,
          blackInfo: s.db().friends.black(id) ?? null,
          groupMemberInfo: gid ? (s.db().groups.member(gid, id) ?? null) : null,
        });
      }
      return out;
    },

    async SetAppBackgroundStatus(ctx, isBackground: unknown) {
      if (typeof isBackground !== 'boolean') throw argsError('isBackground must be a boolean');
      s.background = isBackground;
      if (s.conn?.connected) {
        await s.conn.request(ReqId.SetBackgroundStatus, encodeUserReq(s.userID, isBackground ? 1 : 0), ctx.operationID);
      }
      return '';
    },

    async NetworkStatusChanged() {
      s.conn?.reconnectNow();
      return '';
    },
  };
}
