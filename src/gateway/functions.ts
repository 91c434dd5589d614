// The allow-list: every reqFuncName open-im-sdk@3.5.2 can send (src/constant/api.ts RequestApi),
// each with the positional argument schema its formatter produces (src/api/*.ts), plus the
// dangerous names of the original servers, refused explicitly. Nothing outside this table is
// ever dispatched: there is no reflection on names (wire-protocol spec §5.4, §5.5).
//
// Argument kinds (the decoded `data` array, element by element):
//   string   a JSON string                       -> delivered as is
//   integer  a JSON number that is an integer    -> delivered as is (Go int params)
//   number   a finite JSON number                -> delivered as is (Go float params)
//   boolean  true / false                        -> delivered as is
//   json     a string holding JSON text          -> delivered DECODED (the client double-encodes
//            objects and arrays, as oimws expected); `shape` pins object vs array
//   json?    like json, but `""`, `null` or a missing trailing argument -> undefined
//            (CreateTextAtMessage sends `null` for an omitted atUsersInfo and `""` for an
//            omitted quote message; oimws rejected both, spec §5.19)
//
// Access:
//   core       forwarded to the session's SDK core as functions[target ?? name](ctx, ...args)
//   gateway    answered by the gateway / supervisor (Login, Logout, GetLoginStatus, GetLoginUserID)
//   forbidden  never callable: internal, or reads/uploads files on the server's disk

import { gatewayError } from '../errors.ts';

type ArgKind = 'string' | 'integer' | 'number' | 'boolean' | 'json' | 'json?';

interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /** For json kinds: what the decoded value must be. */
  readonly shape?: 'object' | 'array';
}

type FunctionGroup = 'login' | 'user' | 'friend' | 'group' | 'conversation' | 'message';

export interface CallableSpec {
  readonly access: 'core' | 'gateway';
  readonly group: FunctionGroup;
  readonly args: readonly ArgSpec[];
  /** The core function that runs it, when it differs from the reqFuncName. */
  readonly target?: string;
}

interface ForbiddenSpec {
  readonly access: 'forbidden';
  readonly reason: string;
}

export type FunctionSpec = CallableSpec | ForbiddenSpec;

const s = (name: string): ArgSpec => ({ name, kind: 'string' });
const int = (name: string): ArgSpec => ({ name, kind: 'integer' });
const num = (name: string): ArgSpec => ({ name, kind: 'number' });
const bool = (name: string): ArgSpec => ({ name, kind: 'boolean' });
const obj = (name: string): ArgSpec => ({ name, kind: 'json', shape: 'object' });
const arr = (name: string): ArgSpec => ({ name, kind: 'json', shape: 'array' });
const optObj = (name: string): ArgSpec => ({ name, kind: 'json?', shape: 'object' });
const optArr = (name: string): ArgSpec => ({ name, kind: 'json?', shape: 'array' });

const core = (group: FunctionGroup, ...args: ArgSpec[]): CallableSpec => ({ access: 'core', group, args });
const gw = (group: FunctionGroup, ...args: ArgSpec[]): CallableSpec => ({ access: 'gateway', group, args });
const forbidden = (reason: string): ForbiddenSpec => ({ access: 'forbidden', reason });

const SERVER_FILES = 'reads a file on the server; upload from the client and use the *ByURL variant';
const CLIENT_ONLY = 'runs in open-im-sdk (uploads to apiAddr `/object/*`, then sends the *ByURL creator); never sent under this name';

/** Every function, keyed by reqFuncName. A null prototype: `constructor`, `__proto__` are not names. */
export const functions: Readonly<Record<string, FunctionSpec>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, FunctionSpec>, {
    // ---- login (answered by the gateway; see docs/gateway.md "Login, Logout, GetLoginStatus") ----
    Login: gw('login', s('userID'), s('token')),
    Logout: gw('login'),
    GetLoginStatus: gw('login'),
    GetLoginUserID: gw('login'),

    // ---- user ----
    GetSelfUserInfo: core('user'),
    SetSelfInfo: core('user', obj('userInfo')),
    GetUsersInfoWithCache: core('user', arr('userIDList'), s('groupID')),
    SubscribeUsersStatus: core('user', arr('userIDList')),
    UnsubscribeUsersStatus: core('user', arr('userIDList')),
    GetSubscribeUsersStatus: core('user'),
    SetAppBackgroundStatus: core('user', bool('isBackground')),
    NetworkStatusChanged: core('user'),
    SetGlobalRecvMessageOpt: core('user', int('opt')),

    // ---- friend ----
    AcceptFriendApplication: core('friend', obj('params')), // {toUserID, handleMsg}
    AddBlack: core('friend', s('toUserID'), s('ex')),
    AddFriend: core('friend', obj('params')), // {toUserID, reqMsg, ex?}; 3.5.2 types it as string
    CheckFriend: core('friend', arr('userIDList')),
    DeleteFriend: core('friend', s('friendUserID')),
    GetBlackList: core('friend'),
    GetFriendApplicationListAsApplicant: core('friend'),
    GetFriendApplicationListAsRecipient: core('friend'),
    GetFriendList: core('friend'),
    GetSpecifiedFriendsInfo: core('friend', arr('userIDList')),
    RefuseFriendApplication: core('friend', obj('params')), // {toUserID, handleMsg}
    RemoveBlack: core('friend', s('removeUserID')),
    SearchFriends: core('friend', obj('params')), // {keywordList, isSearchUserID, isSearchNickname, isSearchRemark}
    SetFriendRemark: core('friend', obj('params')), // {toUserID, remark}

    // ---- group ----
    CreateGroup: core('group', obj('params')), // {memberUserIDs, groupInfo, adminUserIDs?, ownerUserID?}
    JoinGroup: core('group', s('groupID'), s('reqMsg'), int('joinSource'), s('ex')),
    InviteUserToGroup: core('group', s('groupID'), s('reason'), arr('userIDList')),
    GetJoinedGroupList: core('group'),
    SearchGroups: core('group', obj('params')), // {keywordList, isSearchGroupID, isSearchGroupName}
    GetSpecifiedGroupsInfo: core('group', arr('groupIDList')),
    SetGroupInfo: core('group', obj('groupInfo')), // Partial<GroupItem> & {groupID}
    GetGroupApplicationListAsRecipient: core('group'),
    GetGroupApplicationListAsApplicant: core('group'),
    AcceptGroupApplication: core('group', s('groupID'), s('fromUserID'), s('handleMsg')),
    RefuseGroupApplication: core('group', s('groupID'), s('fromUserID'), s('handleMsg')),
    GetGroupMemberList: core('group', s('groupID'), int('filter'), int('offset'), int('count')),
    GetSpecifiedGroupMembersInfo: core('group', s('groupID'), arr('userIDList')),
    SearchGroupMembers: core('group', obj('params')), // {groupID, keywordList, isSearchUserID, isSearchMemberNickname, offset, count}
    SetGroupMemberInfo: core('group', obj('params')), // {groupID, userID, nickname?, faceURL?, roleLevel?, ex?}
    GetGroupMemberOwnerAndAdmin: core('group', s('groupID')),
    GetGroupMemberListByJoinTimeFilter: core(
      'group', s('groupID'), int('offset'), int('count'), int('joinTimeBegin'), int('joinTimeEnd'), arr('filterUserIDList'),
    ),
    KickGroupMember: core('group', s('groupID'), s('reason'), arr('userIDList')),
    ChangeGroupMemberMute: core('group', s('groupID'), s('userID'), int('mutedSeconds')),
    ChangeGroupMute: core('group', s('groupID'), bool('isMute')),
    TransferGroupOwner: core('group', s('groupID'), s('newOwnerUserID')),
    DismissGroup: core('group', s('groupID')),
    QuitGroup: core('group', s('groupID')),

    // ---- conversation ----
    GetAllConversationList: core('conversation'),
    GetConversationListSplit: core('conversation', int('offset'), int('count')),
    GetOneConversation: core('conversation', int('sessionType'), s('sourceID')),
    GetMultipleConversation: core('conversation', arr('conversationIDList')),
    GetConversationIDBySessionType: core('conversation', s('sourceID'), int('sessionType')),
    GetTotalUnreadMsgCount: core('conversation'),
    MarkConversationMessageAsRead: core('conversation', s('conversationID')),
    SetConversationDraft: core('conversation', s('conversationID'), s('draftText')),
    PinConversation: core('conversation', s('conversationID'), bool('isPinned')),
    SetConversationRecvMessageOpt: core('conversation', s('conversationID'), int('opt')),
    SetConversationPrivateChat: core('conversation', s('conversationID'), bool('isPrivate')),
    SetConversationBurnDuration: core('conversation', s('conversationID'), int('burnDuration')),
    ResetConversationGroupAtType: core('conversation', s('conversationID')),
    HideConversation: core('conversation', s('conversationID')),
    // The client's name; oimws only had HideAllConversations and always failed it (spec §4.1).
    HideAllConversation: core('conversation'),
    ClearConversationAndDeleteAllMsg: core('conversation', s('conversationID')),
    DeleteConversationAndDeleteAllMsg: core('conversation', s('conversationID')),

    // ---- message ----
    CreateTextMessage: core('message', s('text')),
    CreateTextAtMessage: core('message', s('text'), arr('atUserIDList'), optArr('atUsersInfo'), optObj('message')),
    CreateImageMessageByURL: core(
      'message', s('sourcePath'), obj('sourcePicture'), obj('bigPicture'), obj('snapshotPicture'),
    ),
    CreateSoundMessageByURL: core('message', obj('soundBaseInfo')),
    CreateVideoMessageByURL: core('message', obj('videoBaseInfo')),
    CreateFileMessageByURL: core('message', obj('fileBaseInfo')),
    CreateMergerMessage: core('message', arr('messageList'), s('title'), arr('summaryList')),
    CreateForwardMessage: core('message', obj('message')),
    CreateLocationMessage: core('message', s('description'), num('longitude'), num('latitude')),
    CreateQuoteMessage: core('message', s('text'), obj('message')),
    CreateCardMessage: core('message', obj('cardElem')), // {userID, nickname, faceURL, ex}
    CreateCustomMessage: core('message', s('data'), s('extension'), s('description')),
    CreateFaceMessage: core('message', int('index'), s('data')),
    SendMessageNotOss: core('message', obj('message'), s('recvID'), s('groupID'), obj('offlinePushInfo'), bool('isOnlineOnly')),
    // In 3.5.2 `sendMessage` already sends SendMessageNotOss. The name SendMessage (which in
    // oimws uploaded server-side file paths) runs SendMessageNotOss: nothing is ever uploaded.
    SendMessage: { ...core('message', obj('message'), s('recvID'), s('groupID'), obj('offlinePushInfo'), bool('isOnlineOnly')), target: 'SendMessageNotOss' },
    TypingStatusUpdate: core('message', s('recvID'), s('msgTip')),
    RevokeMessage: core('message', s('conversationID'), s('clientMsgID')),
    DeleteMessage: core('message', s('conversationID'), s('clientMsgID')),
    DeleteMessageFromLocalStorage: core('message', s('conversationID'), s('clientMsgID')),
    DeleteAllMsgFromLocal: core('message'),
    DeleteAllMsgFromLocalAndSvr: core('message'),
    SearchLocalMessages: core('message', obj('params')), // SearchLocalParams
    GetAdvancedHistoryMessageList: core('message', obj('params')), // {conversationID, startClientMsgID, count, lastMinSeq, ...}
    GetAdvancedHistoryMessageListReverse: core('message', obj('params')),
    FindMessageList: core('message', arr('params')), // [{conversationID, clientMsgIDList}]
    InsertGroupMessageToLocalStorage: core('message', obj('message'), s('groupID'), s('sendID')),
    InsertSingleMessageToLocalStorage: core('message', obj('message'), s('recvID'), s('sendID')),
    SetMessageLocalEx: core('message', s('conversationID'), s('clientMsgID'), s('localEx')),

    // ---- never callable ----
    InitSDK: forbidden('internal: the gateway initialises each session itself'),
    UnInitSDK: forbidden('internal: would tear down the live core'),
    LogoutNoCallback: forbidden('internal'),
    UploadLogs: forbidden("uploads the server's SDK logs"),
    UploadFile: forbidden(CLIENT_ONLY),
    CreateImageMessageByFile: forbidden(CLIENT_ONLY),
    CreateSoundMessageByFile: forbidden(CLIENT_ONLY),
    CreateVideoMessageByFile: forbidden(CLIENT_ONLY),
    CreateFileMessageByFile: forbidden(CLIENT_ONLY),
    CreateImageMessage: forbidden(SERVER_FILES),
    CreateSoundMessage: forbidden(SERVER_FILES),
    CreateVideoMessage: forbidden(SERVER_FILES),
    CreateFileMessage: forbidden(SERVER_FILES),
    CreateImageMessageFromFullPath: forbidden(SERVER_FILES),
    CreateSoundMessageFromFullPath: forbidden(SERVER_FILES),
    CreateVideoMessageFromFullPath: forbidden(SERVER_FILES),
    CreateFileMessageFromFullPath: forbidden(SERVER_FILES),
  } satisfies Record<string, FunctionSpec>),
);

/** Look a reqFuncName up; unknown → GW_UNKNOWN_FUNCTION, refused → GW_FUNCTION_FORBIDDEN. */
export function lookupFunction(name: string): CallableSpec {
  const spec = Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (!spec) throw gatewayError('GW_UNKNOWN_FUNCTION', name.length <= 64 ? name : `${name.slice(0, 64)}…`);
  if (spec.access === 'forbidden') throw gatewayError('GW_FUNCTION_FORBIDDEN', `${name} (${spec.reason})`);
  return spec;
}

function badArg(fn: string, index: number, arg: ArgSpec | undefined, what: string): never {
  const label = arg ? `${fn} argument ${index} \`${arg.name}\`` : `${fn} argument ${index}`;
  throw gatewayError('GW_BAD_ARGUMENTS', `${label}: ${what}`, { fn, index, ...(arg ? { arg: arg.name } : {}) });
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function decodeJson(fn: string, i: number, a: ArgSpec, v: unknown): unknown {
  const optional = a.kind === 'json?';
  if (optional && (v === undefined || v === null || v === '')) return undefined;
  if (typeof v !== 'string') return badArg(fn, i, a, `expected a string of JSON, got ${typeName(v)}`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(v);
  } catch {
    return badArg(fn, i, a, 'expected a string of JSON, got text that does not parse');
  }
  if (optional && decoded === null) return undefined;
  if (a.shape === 'object' && (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded))) {
    return badArg(fn, i, a, `expected JSON of an object, got ${typeName(decoded)}`);
  }
  if (a.shape === 'array' && !Array.isArray(decoded)) {
    return badArg(fn, i, a, `expected JSON of an array, got ${typeName(decoded)}`);
  }
  return decoded;
}

/**
 * Check a decoded `data` array against the function's schema and return the arguments the core
 * receives (json kinds decoded). Throws GW_BAD_ARGUMENTS naming the first bad argument.
 */
export function checkArgs(fn: string, spec: CallableSpec, raw: readonly unknown[]): unknown[] {
  const params = spec.args;
  if (raw.length > params.length) {
    throw gatewayError('GW_BAD_ARGUMENTS', `${fn} takes ${params.length} argument(s), got ${raw.length}`, { fn });
  }
  const out: unknown[] = [];
  for (let i = 0; i < params.length; i++) {
    const a = params[i]!;
    if (i >= raw.length) {
      // Only trailing optional arguments may be left out.
      if (a.kind === 'json?') {
        out.push(undefined);
        continue;
      }
      throw gatewayError('GW_BAD_ARGUMENTS', `${fn} takes ${params.length} argument(s), got ${raw.length}`, { fn });
    }
    const v = raw[i];
    switch (a.kind) {
      case 'string':
        if (typeof v !== 'string') badArg(fn, i, a, `expected a string, got ${typeName(v)}`);
        out.push(v);
        break;
      case 'integer':
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) badArg(fn, i, a, `expected an integer, got ${typeName(v) === 'number' ? String(v) : typeName(v)}`);
        out.push(v);
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) badArg(fn, i, a, `expected a number, got ${typeName(v)}`);
        out.push(v);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') badArg(fn, i, a, `expected true or false, got ${typeName(v)}`);
        out.push(v);
        break;
      case 'json':
      case 'json?':
        out.push(decodeJson(fn, i, a, v));
        break;
    }
  }
  return out;
}

const KIND_DOC: Record<ArgKind, string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  json: 'JSON',
  'json?': 'JSON, optional',
};

function argDoc(a: ArgSpec): string {
  const shape = a.shape ? ` ${a.shape}` : '';
  return `${a.name}: ${KIND_DOC[a.kind]}${shape}`;
}

/** The docs/gateway.md function table, generated so it cannot drift (test/gateway/docs.test.ts). */
export function renderFunctionTable(): string {
  const rows = Object.entries(functions).map(([name, spec]) => {
    if (spec.access === 'forbidden') return `| \`${name}\` | forbidden | — | ${spec.reason} |`;
    const args = spec.args.length ? spec.args.map((a) => `\`${argDoc(a)}\``).join(', ') : '(none)';
    const where = spec.access === 'gateway' ? 'gateway' : spec.target ? `core (\`${spec.target}\`)` : 'core';
    return `| \`${name}\` | ${spec.group} | ${args} | ${where} |`;
  });
  return ['| reqFuncName | group | arguments (`data` array) | handled by |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
