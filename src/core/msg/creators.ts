// Message creators: build a MessageItem in "sending" state for the logged-in user. Nothing is
// stored or sent here; SendMessage does that.

import { argsError, jsonArg, requireObject, requireString, requireStrings } from '../errors.ts';
import { ContentType, MsgFrom, MsgStatus, type MessageItem } from '../types.ts';
import { contentOf, emptyOfflinePush } from './convert.ts';
import { elemKey } from './elems.ts';
import { newClientMsgID } from './ids.ts';

export interface SenderProfile {
  readonly userID: string;
  readonly nickname: string;
  readonly faceURL: string;
  readonly platformID: number;
}

function num(name: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argsError(`${name} must be a number`);
  return v;
}

function str(name: string, v: unknown, dflt?: string): string {
  if (v === undefined && dflt !== undefined) return dflt;
  return requireString(name, v);
}

export function baseMessage(s: SenderProfile, contentType: number, elem: unknown): MessageItem {
  const now = Date.now();
  const m: MessageItem = {
    clientMsgID: newClientMsgID(s.userID),
    serverMsgID: '',
    createTime: now,
    sendTime: now,
    sessionType: 0,
    sendID: s.userID,
    recvID: '',
    msgFrom: MsgFrom.User,
    contentType,
    senderPlatformID: s.platformID,
    senderNickname: s.nickname,
    senderFaceUrl: s.faceURL,
    groupID: '',
    content: '',
    seq: 0,
    isRead: false,
    status: MsgStatus.Sending,
    isReact: false,
    isExternalExtensions: false,
    offlinePush: emptyOfflinePush(),
    attachedInfo: '',
    ex: '',
    localEx: '',
  };
  const key = elemKey(contentType);
  if (key) m[key] = elem;
  m.content = contentOf(m);
  return m;
}

function picture(name: string, v: unknown): Record<string, unknown> {
  const p = requireObject(name, v);
  return {
    uuid: str(`${name}.uuid`, p.uuid, ''),
    type: str(`${name}.type`, p.type, ''),
    size: num(`${name}.size`, p.size, 0),
    width: num(`${name}.width`, p.width, 0),
    height: num(`${name}.height`, p.height, 0),
    url: str(`${name}.url`, p.url, ''),
  };
}

/** A message item passed back by the client (quote, forward, merge): a JSON string or an object. */
export function messageArg(name: string, v: unknown): MessageItem {
  const m = requireObject(name, jsonArg(name, v));
  if (typeof m.clientMsgID !== 'string' || typeof m.contentType !== 'number') throw argsError(`${name} is not a message`);
  return m as unknown as MessageItem;
}

export const creators = {
  CreateTextMessage(s: SenderProfile, text: unknown): MessageItem {
    return baseMessage(s, ContentType.Text, { content: requireString('text', text) });
  },

  CreateTextAtMessage(s: SenderProfile, text: unknown, atUserIDList: unknown, atUsersInfo?: unknown, message?: unknown): MessageItem {
    const elem: Record<string, unknown> = {
      text: requireString('text', text),
      atUserList: requireStrings('atUserIDList', jsonArg('atUserIDList', atUserIDList)),
      isAtSelf: false,
    };
    const info = atUsersInfo === undefined || atUsersInfo === null || atUsersInfo === '' ? undefined : jsonArg('atUsersInfo', atUsersInfo);
    if (info !== undefined) {
      if (!Array.isArray(info)) throw argsError('atUsersInfo must be an array');
      elem.atUsersInfo = info.map((x, i) => {
        const o = requireObject(`atUsersInfo[${i}]`, x);
        return { atUserID: str('atUserID', o.atUserID), groupNickname: str('groupNickname', o.groupNickname, '') };
      });
    }
    if (message !== undefined && message !== null && message !== '') elem.quoteMessage = messageArg('message', message);
    return baseMessage(s, ContentType.AtText, elem);
  },

  CreateImageMessageByURL(s: SenderProfile, sourcePath: unknown, sourcePicture: unknown, bigPicture: unknown, snapshotPicture: unknown): MessageItem {
    return baseMessage(s, ContentType.Picture, {
      sourcePath: str('sourcePath', sourcePath, ''),
      sourcePicture: picture('sourcePicture', jsonArg('sourcePicture', sourcePicture)),
      bigPicture: picture('bigPicture', jsonArg('bigPicture', bigPicture)),
      snapshotPicture: picture('snapshotPicture', jsonArg('snapshotPicture', snapshotPicture)),
    });
  },

  CreateSoundMessageByURL(s: SenderProfile, info: unknown): MessageItem {
    const o = requireObject('soundBaseInfo', jsonArg('soundBaseInfo', info));
    return baseMessage(s, ContentType.Sound, {
      uuid: str('uuid', o.uuid, ''),
      soundPath: str('soundPath', o.soundPath, ''),
      sourceUrl: str('sourceUrl', o.sourceUrl),
      dataSize: num('dataSize', o.dataSize, 0),
      duration: num('duration', o.duration, 0),
      soundType: str('soundType', o.soundType, ''),
    });
  },

  CreateVideoMessageByURL(s: SenderProfile, info: unknown): MessageItem {
    const o = requireObject('videoBaseInfo', jsonArg('videoBaseInfo', info));
    return baseMessage(s, ContentType.Video, {
      videoPath: str('videoPath', o.videoPath, ''),
      videoUUID: str('videoUUID', o.videoUUID, ''),
      videoUrl: str('videoUrl', o.videoUrl),
      videoType: str('videoType', o.videoType, ''),
      videoSize: num('videoSize', o.videoSize, 0),
      duration: num('duration', o.duration, 0),
      snapshotPath: str('snapshotPath', o.snapshotPath, ''),
      snapshotUUID: str('snapshotUUID', o.snapshotUUID, ''),
      snapshotSize: num('snapshotSize', o.snapshotSize, 0),
      snapshotUrl: str('snapshotUrl', o.snapshotUrl, ''),
      snapshotWidth: num('snapshotWidth', o.snapshotWidth, 0),
      snapshotHeight: num('snapshotHeight', o.snapshotHeight, 0),
      snapshotType: str('snapShotType', o.snapShotType ?? o.snapshotType, ''),
    });
  },

  CreateFileMessageByURL(s: SenderProfile, info: unknown): MessageItem {
    const o = requireObject('fileBaseInfo', jsonArg('fileBaseInfo', info));
    return baseMessage(s, ContentType.File, {
      filePath: str('filePath', o.filePath, ''),
      uuid: str('uuid', o.uuid, ''),
      sourceUrl: str('sourceUrl', o.sourceUrl),
      fileName: str('fileName', o.fileName),
      fileSize: num('fileSize', o.fileSize, 0),
      fileType: str('fileType', o.fileType, ''),
    });
  },

  CreateMergerMessage(s: SenderProfile, messageList: unknown, title: unknown, summaryList: unknown): MessageItem {
    const list = jsonArg('messageList', messageList);
    if (!Array.isArray(list)) throw argsError('messageList must be an array');
    return baseMessage(s, ContentType.Merger, {
      title: requireString('title', title),
      abstractList: requireStrings('summaryList', jsonArg('summaryList', summaryList)),
      multiMessage: list.map((m, i) => messageArg(`messageList[${i}]`, m)),
      messageEntityList: [],
    });
  },

  CreateForwardMessage(s: SenderProfile, message: unknown): MessageItem {
    const src = messageArg('message', message);
    const key = elemKey(src.contentType);
    const elem = key ? src[key] : undefined;
    if (elem === undefined || src.contentType >= 1000) throw argsError('message cannot be forwarded');
    return baseMessage(s, src.contentType, structuredClone(elem));
  },

  CreateLocationMessage(s: SenderProfile, description: unknown, longitude: unknown, latitude: unknown): MessageItem {
    return baseMessage(s, ContentType.Location, {
      description: requireString('description', description),
      longitude: num('longitude', longitude),
      latitude: num('latitude', latitude),
    });
  },

  CreateQuoteMessage(s: SenderProfile, text: unknown, message: unknown): MessageItem {
    return baseMessage(s, ContentType.Quote, { text: requireString('text', text), quoteMessage: messageArg('message', message) });
  },

  CreateCardMessage(s: SenderProfile, card: unknown): MessageItem {
    const o = requireObject('cardElem', jsonArg('cardElem', card));
    return baseMessage(s, ContentType.Card, {
      userID: str('userID', o.userID),
      nickname: str('nickname', o.nickname, ''),
      faceURL: str('faceURL', o.faceURL, ''),
      ex: str('ex', o.ex, ''),
    });
  },

  CreateCustomMessage(s: SenderProfile, data: unknown, extension: unknown, description: unknown): MessageItem {
    return baseMessage(s, ContentType.Custom, {
      data: requireString('data', data),
      extension: str('extension', extension, ''),
      description: str('description', description, ''),
    });
  },

  CreateFaceMessage(s: SenderProfile, index: unknown, data: unknown): MessageItem {
    return baseMessage(s, ContentType.Face, { index: num('index', index), data: requireString('data', data) });
  },
} as const;

export type CreatorName = keyof typeof creators;
