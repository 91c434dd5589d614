// SubscribeUsersStatus, UnsubscribeUsersStatus, GetSubscribeUsersStatus (2005; sync/user-status.ts).

import type { CoreFunction } from '../contract.ts';
import { jsonArg, requireStrings } from '../errors.ts';
import type { CoreSession } from '../core-session.ts';
import { subscribe, subscribedStates, unsubscribe } from '../sync/user-status.ts';
import { online } from './guard.ts';

export function userStatusFunctions(s: CoreSession): Record<string, CoreFunction> {
  return {
    async SubscribeUsersStatus(ctx, userIDList: unknown) {
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      online(s);
      return subscribe(s, [...new Set(ids)], ctx.operationID);
    },

    async UnsubscribeUsersStatus(ctx, userIDList: unknown) {
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      online(s);
      await unsubscribe(s, [...new Set(ids)], ctx.operationID);
      return '';
    },

    async GetSubscribeUsersStatus() {
      return subscribedStates(s);
    },
  };
}
