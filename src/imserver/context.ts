// Everything a request handler needs, built once per server.

import type { Logger } from '../log.ts';
import { Conversations } from './conversations.ts';
import type { Db } from './db.ts';
import { Friends } from './friends.ts';
import { GroupRequests } from './group-requests.ts';
import { Groups } from './groups.ts';
import { Messages } from './messages.ts';
import { MsgOps } from './msg-ops.ts';
import { ObjectFiles } from './object-files.ts';
import { Objects, type ObjectLimits } from './objects.ts';
import { Reader } from './pull.ts';
import { RequestLog } from './request-log.ts';
import { Hub } from './push.ts';
import { Sender } from './send.ts';
import { Tokens } from './tokens.ts';
import { Users } from './users.ts';
import { Versions } from './versions.ts';

export const DEFAULT_SECRET = 'openIM123';
const ADMIN_USER_ID = 'imAdmin';
/** OpenIM's tokenPolicy.expire default: 90 days. */
const TOKEN_TTL_SECONDS = 90 * 24 * 3600;

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
  readonly sender: Sender;
  readonly reader: Reader;
  readonly ops: MsgOps;
  readonly friends: Friends;
  readonly groups: Groups;
  readonly groupRequests: GroupRequests;
  readonly objects: Objects;
  /** Set when the server keeps a request log (ImServerOptions.requestLog). */
  readonly requestLog: RequestLog | undefined;
}

export interface ContextOptions {
  /** Where object content and upload parts live (the data dir). */
  readonly dataDir: string;
  readonly objectLimits: ObjectLimits;
  /** Keep the last N REST requests (0 or undefined = no log). */
  readonly requestLog?: number;
}

export function createContext(db: Db, log: Logger, secret: string, opts: ContextOptions): ImContext {
  const users = new Users(db);
  const versions = new Versions(db);
  const convs = new Conversations(db, versions);
  const msgs = new Messages(db);
  const hub = new Hub();
  const adminUserIDs = new Set([ADMIN_USER_ID]);
  const friends = new Friends(db, users, versions);
  const groups = new Groups(db, users, versions);
  const groupRequests = new GroupRequests(db, users, groups);
  const sender = new Sender(db, users, convs, msgs, hub, groups, friends, adminUserIDs);
  const reader = new Reader(convs, msgs);
  const ops = new MsgOps(db, users, convs, msgs, sender, groups);
  const tokens = new Tokens(db, secret, TOKEN_TTL_SECONDS);
  if (!users.exists(ADMIN_USER_ID)) {
    users.insert({ userID: ADMIN_USER_ID, nickname: ADMIN_USER_ID, faceURL: '', ex: '', appMangerLevel: 2 });
  }
  const objects = new Objects(db, new ObjectFiles(opts.dataDir), opts.objectLimits, log);
  const reqLog = opts.requestLog ? new RequestLog(opts.requestLog) : undefined;
  return { db, log, secret, adminUserIDs, users, tokens, versions, convs, msgs, hub, sender, reader, ops, friends, groups, groupRequests, objects, requestLog: reqLog };
}
