// Every REST route group, in one place. A new group is one import and one call here.

import { registerAuthRoutes } from './auth.ts';
import { registerConversationRoutes } from './conversation.ts';
import { registerJssdkRoutes } from './jssdk.ts';
import { registerMsgRoutes } from './msg.ts';
import { registerRelationStubs } from './relation-stubs.ts';
import { Router } from './router.ts';
import { registerUserRoutes } from './user.ts';

export function buildRouter(): Router {
  const r = new Router();
  registerAuthRoutes(r);
  registerUserRoutes(r);
  registerConversationRoutes(r);
  registerMsgRoutes(r);
  registerJssdkRoutes(r);
  // Real friend/group route files register above this line; the stubs fill what is left.
  registerRelationStubs(r);
  return r;
}
