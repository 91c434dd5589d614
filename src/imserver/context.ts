// Everything a request handler needs, built once per server.

import type { Logger } from '../log.ts';
import { Chat } from './chat.ts';
import { Conversations } from './conversations.ts';
import type { Db } from './db.ts';
import { Messages } from './messages.ts';
import { Hub } from './push.ts';
import { Tokens } from './tokens.ts';
import { Users } from './users.ts';
import { Versions } from './versions.ts';

export const DEFAULT_SECRET = 'openIM123';
export const ADMIN_USER_ID = 'imAdmin';
/** OpenIM's tokenPolicy.expire default: 90 days. */
export const TOKEN_TTL_SECONDS = 90 * 24 * 3600;

export interface ImContext {
  readonly db: Db;
  readonly log: Logger;
  readonly secret: string;
  readonly adminUserIDs: ReadonlySet<string>;
  readonly users: Users;
  readonly tokens: Tokens;
  readonly versions: Versions;
  readonly convs: Conversations;
  readonly msgs: Messages;
  readonly hub: Hub;
  readonly chat: Chat;
}

export function createContext(db: Db, log: Logger, secret: string): ImContext {
  const users = new Users(db);
  const versions = new Versions(db);
  const convs = new Conversations(db, versions);
  const msgs = new Messages(db);
  const hub = new Hub();
  const chat = new Chat(db, users, convs, msgs, hub);
  const tokens = new Tokens(db, secret, TOKEN_TTL_SECONDS);
  if (!users.exists(ADMIN_USER_ID)) {
    users.insert({ userID: ADMIN_USER_ID, nickname: ADMIN_USER_ID, faceURL: '', ex: '', appMangerLevel: 2 });
  }
  return { db, log, secret, adminUserIDs: new Set([ADMIN_USER_ID]), users, tokens, versions, convs, msgs, hub, chat };
}
