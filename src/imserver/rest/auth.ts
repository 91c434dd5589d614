// /auth/*: admin bootstrap and tokens.

import { isValidPlatformId } from '../../ids.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import { ADMIN_PLATFORM_ID } from '../tokens.ts';
import { int, required, str } from './body.ts';
import type { Router } from './router.ts';

export function registerAuthRoutes(r: Router): void {
  r.add('/auth/get_admin_token', {
    auth: 'public',
    handle(req, b) {
      const secret = str(b, 'secret');
      const userID = required(str(b, 'userID'), 'userID');
      if (secret !== req.im.secret) throw imError(ImCode.NoPermission, 'secret invalid');
      if (!req.im.adminUserIDs.has(userID)) throw imArgsError('userID is not an admin');
      const { token } = req.im.tokens.issue(userID, ADMIN_PLATFORM_ID);
      return { token, expireTimeSeconds: req.im.tokens.ttlSeconds };
    },
  });

  r.add('/auth/get_user_token', {
    auth: 'admin',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      const platformID = int(b, 'platformID');
      if (!isValidPlatformId(platformID) || platformID === ADMIN_PLATFORM_ID) throw imArgsError('platformID is invalid');
      if (req.im.adminUserIDs.has(userID)) throw imError(ImCode.NoPermission, 'cannot get an admin token here');
      if (!req.im.users.exists(userID)) throw imError(ImCode.UserIDNotFound, `user ${userID} not registered`);
      const { token } = req.im.tokens.issue(userID, platformID);
      return { token, expireTimeSeconds: req.im.tokens.ttlSeconds };
    },
  });

  r.add('/auth/parse_token', {
    auth: 'public',
    handle(req, b) {
      const token = required(str(b, 'token'), 'token');
      const claims = req.im.tokens.parse(token);
      // Absolute expiry in seconds since the epoch, as OpenIM reports it here.
      return { userID: claims.UserID, platformID: claims.PlatformID, expireTimeSeconds: claims.exp };
    },
  });

  r.add('/auth/force_logout', {
    auth: 'admin',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      const platformID = int(b, 'platformID');
      if (!isValidPlatformId(platformID)) throw imArgsError('platformID is invalid');
      req.im.tokens.kickAll(userID, platformID);
      req.im.hub.kick(userID, platformID);
      return undefined;
    },
  });
}
