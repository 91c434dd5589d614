// MsgData (protobuf, what the server stores) <-> MessageItem (JSON, what the client sees).

import type { SdkWsProto } from '@openim/protocol';
import { parseAttachedInfo, withAttachedInfo } from './attached-info.ts';
import { elemKey } from './elems.ts';
import { ContentType, type MessageItem, type OfflinePush } from '../types.ts';

type MsgData = SdkWsProto.MsgData;

const utf8 = new TextDecoder();
const utf8Enc = new TextEncoder();

export function emptyOfflinePush(): OfflinePush {
  return { title: '', desc: '', ex: '', iOSPushSound: '', iOSBadgeCount: false };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Decodes a pulled or pushed MsgData into the client's shape, with the elem filled in. */
export function msgDataToItem(d: MsgData, selfID: string): MessageItem {
  const content = utf8.decode(d.content);
  const item: MessageItem = {
    clientMsgID: d.clientMsgID,
    serverMsgID: d.serverMsgID,
    createTime: d.createTime,
    sendTime: d.sendTime,
    sessionType: d.sessionType,
    sendID: d.sendID,
    recvID: d.recvID,
    msgFrom: d.msgFrom,
    contentType: d.contentType,
    senderPlatformID: d.senderPlatformID,
    senderNickname: d.senderNickname,
    senderFaceUrl: d.senderFaceURL,
    groupID: d.groupID,
    content,
    seq: d.seq,
    isRead: d.isRead,
    status: d.status || 2,
    isReact: false,
    isExternalExtensions: false,
    offlinePush: d.offlinePushInfo
      ? {
          title: d.offlinePushInfo.title,
          desc: d.offlinePushInfo.desc,
          ex: d.offlinePushInfo.ex,
          iOSPushSound: d.offlinePushInfo.iOSPushSound,
          iOSBadgeCount: d.offlinePushInfo.iOSBadgeCount,
        }
      : emptyOfflinePush(),
    attachedInfo: d.attachedInfo,
    ex: d.ex,
    localEx: '',
  };
  // A private chat's messages arrive with options.notPrivate false (openim-sdk-core v3.5.1).
  const isPrivate = d.options?.notPrivate === false;
  if (d.attachedInfo || isPrivate) {
    const elem = parseAttachedInfo(d.attachedInfo);
    elem.isPrivateChat ||= isPrivate;
    Object.assign(item, withAttachedInfo(item, elem));
  }
  const key = elemKey(d.contentType);
  const parsed = parseJson(content);
  if (key && parsed && typeof parsed === 'object') {
    item[key] = parsed;
    if (d.contentType === ContentType.AtText) {
      const at = parsed as { atUserList?: unknown; isAtSelf?: boolean };
      at.isAtSelf = Array.isArray(at.atUserList) && (at.atUserList.includes(selfID) || at.atUserList.includes('AtAllTag'));
    }
  }
  return item;
}

/** The content JSON of a message to send: its elem, as stored in MsgData.content. */
export function contentOf(m: MessageItem): string {
  const key = elemKey(m.contentType);
  const elem = key ? m[key] : undefined;
  if (elem && typeof elem === 'object') return JSON.stringify(elem);
  return m.content ?? '';
}

export interface SendOptions {
  readonly options: Record<string, boolean>;
  readonly offlinePush: OfflinePush | undefined;
}

/** A fully populated MsgData for 1003 (the protobuf coder needs every field). */
export function itemToMsgData(m: MessageItem, o: SendOptions): MsgData {
  const push = o.offlinePush ?? m.offlinePush ?? emptyOfflinePush();
  const at = m.contentType === ContentType.AtText ? (m.atTextElem as { atUserList?: unknown } | undefined)?.atUserList : undefined;
  return {
    sendID: m.sendID,
    recvID: m.recvID,
    groupID: m.groupID,
    clientMsgID: m.clientMsgID,
    serverMsgID: '',
    senderPlatformID: m.senderPlatformID,
    senderNickname: m.senderNickname,
    senderFaceURL: m.senderFaceUrl,
    sessionType: m.sessionType,
    msgFrom: m.msgFrom,
    contentType: m.contentType,
    content: utf8Enc.encode(contentOf(m)),
    seq: 0,
    sendTime: 0,
    createTime: m.createTime,
    status: 1,
    isRead: false,
    options: o.options,
    offlinePushInfo: {
      title: String(push.title ?? ''),
      desc: String(push.desc ?? ''),
      ex: String(push.ex ?? ''),
      iOSPushSound: String(push.iOSPushSound ?? ''),
      iOSBadgeCount: Boolean(push.iOSBadgeCount),
      signalInfo: '',
    },
    atUserIDList: Array.isArray(at) ? at.map(String) : [],
    attachedInfo: m.attachedInfo ?? '',
    ex: m.ex ?? '',
    keyVersion: 0,
    dstUserIDs: [],
  };
}
