// Every REST route group, in one place. A new group is one import and one call here.

import { registerAuthRoutes } from './auth.ts';
import { registerConversationRoutes } from './conversation.ts';
import { registerJssdkRoutes } from './jssdk.ts';
import { registerMsgRoutes } from './msg.ts';
import { registerObjectRoutes } from './object.ts';
import { registerFriendRoutes } from './friend.ts';
import { registerGroupMemberRoutes } from './group-members.ts';
import { registerGroupRequestRoutes } from './group-requests.ts';
import { registerGroupRoutes } from './group.ts';
import { registerGroupSyncRoutes } from './group-sync.ts';
import { Router } from './router.ts';
import { registerUserRoutes } from './user.ts';

export function buildRouter(): Router {
  const r = new Router();
  registerAuthRoutes(r);
  registerUserRoutes(r);
  registerConversationRoutes(r);
  registerMsgRoutes(r);
  registerJssdkRoutes(r);
  registerFriendRoutes(r);
  registerGroupRoutes(r);
  registerGroupMemberRoutes(r);
  registerGroupRequestRoutes(r);
  registerGroupSyncRoutes(r);
  registerObjectRoutes(r);
  return r;
}
