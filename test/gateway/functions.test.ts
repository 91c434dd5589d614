import { describe, expect, it } from 'vitest';
import { OpenIMSDK, RequestApi } from 'open-im-sdk';
import { checkArgs, functions, lookupFunction, renderFunctionTable, type CallableSpec } from '../../src/gateway/functions.ts';
import { isGatewayError } from '../../src/errors.ts';

interface Frame { reqFuncName: string; operationID: string; userID: string; data: string }

/**
 * Run one client API method and capture the frame its formatter builds, without a socket:
 * the client only needs `wsManager.sendMessage`.
 */
function captureFrames(): { sdk: any; frames: Frame[] } {
  const sdk = new OpenIMSDK() as any;
  const frames: Frame[] = [];
  sdk.wsManager = { sendMessage: (f: Frame) => frames.push(f), close() {} };
  sdk.userID = 'u1';
  return { sdk, frames };
}

const msg = { clientMsgID: 'c1', contentType: 101, textElem: { content: 'hi' } };
const pic = { uuid: 'x', type: 'png', size: 1, width: 1, height: 1, url: 'https://x/y.png' };

// One representative call per client method (method name -> params). Methods without params
// are called with no argument.
const calls: Record<string, unknown> = {
  logout: undefined,
  getLoginStatus: undefined,
  getLoginUserID: undefined,
  getSelfUserInfo: undefined,
  setSelfInfo: { nickname: 'n' },
  getUsersInfoWithCache: { userIDList: ['u2'] },
  subscribeUsersStatus: ['u2'],
  unsubscribeUsersStatus: ['u2'],
  getSubscribeUsersStatus: undefined,
  setAppBackgroundStatus: true,
  networkStatusChanged: undefined,
  setGlobalRecvMessageOpt: 1,
  acceptFriendApplication: { toUserID: 'u2', handleMsg: 'ok' },
  addBlack: { toUserID: 'u2' },
  addFriend: JSON.stringify({ toUserID: 'u2', reqMsg: 'hi' }),
  checkFriend: ['u2'],
  deleteFriend: 'u2',
  getBlackList: undefined,
  getFriendApplicationListAsApplicant: undefined,
  getFriendApplicationListAsRecipient: undefined,
  getFriendList: undefined,
  getSpecifiedFriendsInfo: ['u2'],
  refuseFriendApplication: { toUserID: 'u2', handleMsg: 'no' },
  removeBlack: 'u2',
  searchFriends: { keywordList: ['a'], isSearchUserID: true, isSearchNickname: false, isSearchRemark: false },
  setFriendRemark: { toUserID: 'u2', remark: 'r' },
  createGroup: { memberUserIDs: ['u2'], groupInfo: { groupName: 'g', groupType: 2 } },
  joinGroup: { groupID: 'g1', reqMsg: 'hi', joinSource: 3 },
  inviteUserToGroup: { groupID: 'g1', reason: 'r', userIDList: ['u2'] },
  getJoinedGroupList: undefined,
  searchGroups: { keywordList: ['g'], isSearchGroupID: true, isSearchGroupName: true },
  getSpecifiedGroupsInfo: ['g1'],
  setGroupInfo: { groupID: 'g1', groupName: 'x' },
  getGroupApplicationListAsRecipient: undefined,
  getGroupApplicationListAsApplicant: undefined,
  acceptGroupApplication: { groupID: 'g1', fromUserID: 'u2', handleMsg: 'ok' },
  refuseGroupApplication: { groupID: 'g1', fromUserID: 'u2', handleMsg: 'no' },
  getGroupMemberList: { groupID: 'g1', filter: 0, offset: 0, count: 10 },
  getSpecifiedGroupMembersInfo: { groupID: 'g1', userIDList: ['u2'] },
  searchGroupMembers: { groupID: 'g1', keywordList: ['a'], isSearchUserID: true, isSearchMemberNickname: true, offset: 0, count: 10 },
  setGroupMemberInfo: { groupID: 'g1', userID: 'u2', nickname: 'n' },
  getGroupMemberOwnerAndAdmin: 'g1',
  getGroupMemberListByJoinTimeFilter: { groupID: 'g1', filterUserIDList: [], offset: 0, count: 10, joinTimeBegin: 0, joinTimeEnd: 0 },
  kickGroupMember: { groupID: 'g1', reason: 'r', userIDList: ['u2'] },
  changeGroupMemberMute: { groupID: 'g1', userID: 'u2', mutedSeconds: 60 },
  changeGroupMute: { groupID: 'g1', isMute: true },
  transferGroupOwner: { groupID: 'g1', newOwnerUserID: 'u2' },
  dismissGroup: 'g1',
  quitGroup: 'g1',
  getAllConversationList: undefined,
  getConversationListSplit: { offset: 0, count: 20 },
  getOneConversation: { sourceID: 'u2', sessionType: 1 },
  getMultipleConversation: JSON.stringify(['si_u1_u2']),
  getConversationIDBySessionType: { sourceID: 'u2', sessionType: 1 },
  getTotalUnreadMsgCount: undefined,
  markConversationMessageAsRead: 'si_u1_u2',
  setConversationDraft: { conversationID: 'si_u1_u2', draftText: 'd' },
  pinConversation: { conversationID: 'si_u1_u2', isPinned: true },
  setConversationRecvMessageOpt: { conversationID: 'si_u1_u2', opt: 2 },
  setConversationPrivateChat: { conversationID: 'si_u1_u2', isPrivate: true },
  setConversationBurnDuration: { conversationID: 'si_u1_u2', burnDuration: 30 },
  resetConversationGroupAtType: 'sg_g1',
  hideConversation: 'si_u1_u2',
  hideAllConversation: undefined,
  clearConversationAndDeleteAllMsg: 'si_u1_u2',
  deleteConversationAndDeleteAllMsg: 'si_u1_u2',
  createTextMessage: 'hello',
  createTextAtMessage: { text: '@u2 hi', atUserIDList: ['u2'] },
  createImageMessageByURL: { sourcePath: '', sourcePicture: pic, bigPicture: pic, snapshotPicture: pic },
  createSoundMessageByURL: { uuid: 'x', soundPath: '', sourceUrl: 'https://x/a.mp3', dataSize: 1, duration: 1 },
  createVideoMessageByURL: {
    videoPath: '', duration: 1, videoType: 'mp4', snapshotPath: '', videoUUID: 'v', videoUrl: 'https://x/v.mp4',
    videoSize: 1, snapshotUUID: 's', snapshotSize: 1, snapshotUrl: 'https://x/s.png', snapshotWidth: 1, snapshotHeight: 1,
  },
  createFileMessageByURL: { filePath: '', fileName: 'f', uuid: 'x', sourceUrl: 'https://x/f', fileSize: 1 },
  createMergerMessage: { messageList: [msg], title: 't', summaryList: ['s'] },
  createForwardMessage: msg,
  createLocationMessage: { description: 'd', longitude: 1.5, latitude: 2.25 },
  createQuoteMessage: { text: 't', message: JSON.stringify(msg) },
  createCardMessage: { userID: 'u2', nickname: 'n', faceURL: '', ex: '' },
  createCustomMessage: { data: '{}', extension: '', description: '' },
  createFaceMessage: { index: 1, data: '' },
  sendMessage: { recvID: 'u2', groupID: '', message: msg },
  sendMessageNotOss: { recvID: 'u2', groupID: '', message: msg },
  typingStatusUpdate: { recvID: 'u2', msgTip: 'typing' },
  revokeMessage: { conversationID: 'si_u1_u2', clientMsgID: 'c1' },
  deleteMessage: { conversationID: 'si_u1_u2', clientMsgID: 'c1' },
  deleteMessageFromLocalStorage: { conversationID: 'si_u1_u2', clientMsgID: 'c1' },
  deleteAllMsgFromLocal: undefined,
  deleteAllMsgFromLocalAndSvr: undefined,
  searchLocalMessages: { conversationID: '', keywordList: ['a'] },
  getAdvancedHistoryMessageList: { conversationID: 'si_u1_u2', startClientMsgID: '', count: 20, lastMinSeq: 0 },
  getAdvancedHistoryMessageListReverse: { conversationID: 'si_u1_u2', startClientMsgID: '', count: 20, lastMinSeq: 0 },
  findMessageList: [{ conversationID: 'si_u1_u2', clientMsgIDList: ['c1'] }],
  insertGroupMessageToLocalStorage: { message: msg, groupID: 'g1', sendID: 'u1' },
  insertSingleMessageToLocalStorage: { message: msg, recvID: 'u2', sendID: 'u1' },
  setMessageLocalEx: { conversationID: 'si_u1_u2', clientMsgID: 'c1', localEx: 'x' },
};

describe('functions', () => {
  it('lists every RequestApi name of open-im-sdk@3.5.2', () => {
    for (const name of Object.values(RequestApi)) {
      expect(Object.hasOwn(functions, name), name).toBe(true);
    }
  });

  it('accepts the frame every client method builds and decodes JSON arguments', async () => {
    const { sdk, frames } = captureFrames();
    for (const [method, params] of Object.entries(calls)) {
      expect(typeof sdk[method], method).toBe('function');
      frames.length = 0;
      void (params === undefined ? sdk[method]('op') : sdk[method](params, 'op'));
      expect(frames.length, method).toBe(1);
      const frame = frames[0]!;
      const spec = lookupFunction(frame.reqFuncName);
      const args = checkArgs(frame.reqFuncName, spec, JSON.parse(frame.data));
      spec.args.forEach((a, i) => {
        if (a.kind === 'json') expect(typeof args[i], `${method} ${a.name}`).toBe('object');
      });
    }
    // Every client method that talks to the server was exercised.
    const covered = new Set(Object.keys(calls));
    const notServerCalls = new Set([
      'login', 'uploadFile', 'sendRequest', 'defaultDataFormatter', 'handleMessage', 'handleReconnectSuccess',
      'internalUploadFile', 'createRequestFunction', 'createRequestFunctionWithoutParams',
    ]);
    const apiMethods = Object.keys(sdk).filter((k) => typeof sdk[k] === 'function' && !notServerCalls.has(k) && !/ByFile$/.test(k));
    expect(apiMethods.length).toBeGreaterThan(90);
    for (const m of apiMethods) expect(covered.has(m), m).toBe(true);
  });

  it('passes the client Login frame shape', () => {
    const spec = lookupFunction('Login');
    expect(checkArgs('Login', spec, ['u1', 'tok'])).toEqual(['u1', 'tok']);
    expect(spec.access).toBe('gateway');
  });

  it('decodes CreateTextAtMessage with the omitted fields the client sends as null and ""', () => {
    const { sdk, frames } = captureFrames();
    void sdk.createTextAtMessage({ text: 't', atUserIDList: ['u2'] }, 'op');
    const raw = JSON.parse(frames[0]!.data);
    expect(raw).toEqual(['t', '["u2"]', null, '']);
    expect(checkArgs('CreateTextAtMessage', lookupFunction('CreateTextAtMessage'), raw)).toEqual(['t', ['u2'], undefined, undefined]);
  });

  it('runs SendMessage as SendMessageNotOss', () => {
    const spec = lookupFunction('SendMessage');
    expect(spec.target).toBe('SendMessageNotOss');
  });

  it('refuses unknown names, including prototype keys', () => {
    for (const name of ['NoSuchFunction', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
      expect(() => lookupFunction(name), name).toThrow(expect.objectContaining({ errorName: 'GW_UNKNOWN_FUNCTION' }));
    }
  });

  it('refuses internal and server-file functions', () => {
    for (const name of ['InitSDK', 'UnInitSDK', 'UploadLogs', 'UploadFile', 'CreateImageMessage', 'CreateFileMessageFromFullPath', 'CreateImageMessageByFile']) {
      expect(() => lookupFunction(name), name).toThrow(expect.objectContaining({ errorName: 'GW_FUNCTION_FORBIDDEN' }));
    }
  });

  describe('#checkArgs', () => {
    const spec = (name: string): CallableSpec => lookupFunction(name);
    const bad = (name: string, raw: unknown[]): string => {
      try {
        checkArgs(name, spec(name), raw);
      } catch (e) {
        expect(isGatewayError(e, 'GW_BAD_ARGUMENTS')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected GW_BAD_ARGUMENTS');
    };

    it('rejects too many arguments', () => {
      expect(bad('GetAllConversationList', [1])).toMatch(/takes 0 argument/);
    });
    it('rejects too few arguments', () => {
      expect(bad('PinConversation', ['c'])).toMatch(/takes 2 argument/);
    });
    it('names a wrongly typed string argument', () => {
      expect(bad('DeleteFriend', [5])).toMatch(/argument 0 `friendUserID`: expected a string, got number/);
    });
    it('names a non-integer where Go takes an int', () => {
      expect(bad('GetConversationListSplit', [0, 1.5])).toMatch(/`count`: expected an integer/);
    });
    it('rejects a boolean given as a string', () => {
      expect(bad('PinConversation', ['c', 'true'])).toMatch(/`isPinned`: expected true or false, got string/);
    });
    it('rejects json arguments that are not strings of JSON', () => {
      expect(bad('CheckFriend', [['u2']])).toMatch(/`userIDList`: expected a string of JSON, got array/);
      expect(bad('CheckFriend', ['not json'])).toMatch(/does not parse/);
    });
    it('checks the decoded shape', () => {
      expect(bad('CheckFriend', ['{"a":1}'])).toMatch(/expected JSON of an array, got object/);
      expect(bad('SetSelfInfo', ['[1]'])).toMatch(/expected JSON of an object, got array/);
      expect(bad('SetSelfInfo', ['null'])).toMatch(/expected JSON of an object, got null/);
    });
    it('rejects null for a required argument', () => {
      expect(bad('CreateTextMessage', [null])).toMatch(/expected a string, got null/);
    });
  });

  it('renders one table row per function', () => {
    const table = renderFunctionTable();
    expect(table.split('\n').length).toBe(Object.keys(functions).length + 2);
    expect(table).toContain('| `SendMessage` | message |');
    expect(table).toContain('core (`SendMessageNotOss`)');
  });
});
