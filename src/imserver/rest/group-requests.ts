// /group/* for join applications: answer, and list the received, sent and specified ones
// (open-im-server internal/rpc/group/group.go GroupApplicationResponse and the list calls).

import { inTransaction } from '../db.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import type { Deliver } from '../msg-kinds.ts';
import { int, intList, required, str, strList } from './body.ts';
import { AGREE, CT_GROUP_APPLICATION_ACCEPTED, CT_GROUP_APPLICATION_REJECTED, groupIdOf, groupOf, join, manager, notDismissed, notifyUsers, REFUSE } from './group-common.ts';
import { entered } from './group-members.ts';
import { pageOf } from './paging.ts';
import { checkAccess, type Router } from './router.ts';

/** receiverAs in GroupApplicationAccepted/RejectedTips: 0 the applicant, 1 an owner or admin. */
const TO_APPLICANT = 0;
const TO_MANAGER = 1;

export function registerGroupRequestRoutes(r: Router): void {
  r.add('/group/group_application_response', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const applicant = required(str(b, 'fromUserID'), 'fromUserID');
      const result = int(b, 'handleResult');
      if (result !== AGREE && result !== REFUSE) throw imArgsError('handleResult must be 1 or -1');
      const handledMsg = str(b, 'handledMsg');
      const g = groupOf(req, groupID);
      const op = manager(req, groupID);
      const request = req.im.groupRequests.request(groupID, applicant);
      if (!request) throw imError(ImCode.RecordNotFound, `no request from ${applicant} to group ${groupID}`);
      if (request.handleResult !== 0) throw imError(ImCode.GroupRequestHandled, 'group request handled already');
      // As upstream, agreeing for someone who is already a member only closes the request.
      const inGroup = req.im.groups.member(groupID, applicant) !== undefined;
      if (result === AGREE && !inGroup) notDismissed(g);
      const deliver = inTransaction(req.im.db, (): Deliver => {
        req.im.groupRequests.handle(groupID, applicant, result, req.userID, handledMsg);
        const answers = (ct: number) =>
          notifyUsers(req, req.userID, [applicant, ...req.im.groups.managerIDs(groupID)], ct, (to) => ({
            group: req.im.groups.get(groupID),
            opUser: op,
            handleMsg: handledMsg,
            receiverAs: to === applicant ? TO_APPLICANT : TO_MANAGER,
          }));
        if (result === REFUSE) return answers(CT_GROUP_APPLICATION_REJECTED);
        if (inGroup) return answers(CT_GROUP_APPLICATION_ACCEPTED);
        join(req, groupID, applicant, { joinSource: request.joinSource, inviterUserID: request.inviterUserID });
        const a = answers(CT_GROUP_APPLICATION_ACCEPTED);
        const e = entered(req, groupID, applicant);
        return (opID) => {
          a(opID);
          e(opID);
        };
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/get_recv_group_applicationList', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'fromUserID'), 'fromUserID');
      checkAccess(req, userID);
      const p = pageOf(b);
      const managed = req.im.groups.managedGroupIDs(userID);
      return req.im.groupRequests.requests({ groupIDs: managed }, strList(b, 'groupIDs'), intList(b, 'handleResults'), p.offset, p.limit);
    },
  });

  r.add('/group/get_user_req_group_applicationList', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      const p = pageOf(b);
      return req.im.groupRequests.requests({ userID }, strList(b, 'groupIDs'), intList(b, 'handleResults'), p.offset, p.limit);
    },
  });

  r.add('/group/get_specified_user_group_request_info', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const userID = required(str(b, 'userID'), 'userID');
      groupOf(req, groupID);
      if (req.userID !== userID) manager(req, groupID);
      const found = req.im.groupRequests.request(groupID, userID);
      return { total: found ? 1 : 0, groupRequests: found ? [found] : [] };
    },
  });
}
