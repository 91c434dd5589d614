import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/core/errors.ts';
import { creators } from '../../src/core/msg/creators.ts';
import { itemToMsgData, msgDataToItem } from '../../src/core/msg/convert.ts';
import { PbCoder } from '@openim/protocol';

const me = { userID: 'alice', nickname: 'Alice', faceURL: 'http://f/a.png', platformID: 5 };

describe('message creators', () => {
  it('text: a sending MessageItem from the logged-in user with textElem and content', () => {
    const m = creators.CreateTextMessage(me, 'hello');
    expect(m).toMatchObject({
      contentType: 101,
      status: 1,
      sendID: 'alice',
      senderNickname: 'Alice',
      senderFaceUrl: 'http://f/a.png',
      senderPlatformID: 5,
      msgFrom: 100,
      seq: 0,
      isRead: false,
      textElem: { content: 'hello' },
      content: '{"content":"hello"}',
    });
    expect(m.clientMsgID).toMatch(/^[0-9a-f]{32}$/);
    expect(creators.CreateTextMessage(me, 'x').clientMsgID).not.toBe(m.clientMsgID);
    expect(m.createTime).toBeGreaterThan(Date.now() - 5000);
  });

  it('at: atTextElem with the user list, optional atUsersInfo and quote', () => {
    const quoted = creators.CreateTextMessage(me, 'q');
    const m = creators.CreateTextAtMessage(me, '@bob hi', ['bob'], [{ atUserID: 'bob', groupNickname: 'B' }], quoted);
    expect(m.contentType).toBe(106);
    expect(m.atTextElem).toMatchObject({ text: '@bob hi', atUserList: ['bob'], atUsersInfo: [{ atUserID: 'bob', groupNickname: 'B' }], isAtSelf: false });
    expect((m.atTextElem as { quoteMessage: { clientMsgID: string } }).quoteMessage.clientMsgID).toBe(quoted.clientMsgID);
    const bare = creators.CreateTextAtMessage(me, 'hi all', ['AtAllTag'], undefined, undefined);
    expect(bare.atTextElem).toEqual({ text: 'hi all', atUserList: ['AtAllTag'], isAtSelf: false });
  });

  it('custom, location, face, card, quote (JSON string or object), merger, forward', () => {
    expect(creators.CreateCustomMessage(me, '{"k":1}', 'ext', 'desc').customElem).toEqual({ data: '{"k":1}', extension: 'ext', description: 'desc' });
    expect(creators.CreateLocationMessage(me, 'here', 1.5, -2.25).locationElem).toEqual({ description: 'here', longitude: 1.5, latitude: -2.25 });
    expect(creators.CreateFaceMessage(me, 3, 'smile').faceElem).toEqual({ index: 3, data: 'smile' });
    expect(creators.CreateCardMessage(me, { userID: 'bob', nickname: 'Bob', faceURL: '', ex: '' }).cardElem).toEqual({ userID: 'bob', nickname: 'Bob', faceURL: '', ex: '' });
    const src = creators.CreateTextMessage(me, 'src');
    const q1 = creators.CreateQuoteMessage(me, 'reply', JSON.stringify(src));
    const q2 = creators.CreateQuoteMessage(me, 'reply', src);
    expect(q1.contentType).toBe(114);
    expect(q1.quoteElem).toEqual(q2.quoteElem);
    const merged = creators.CreateMergerMessage(me, [src], 'chat', ['alice: src']);
    expect(merged.mergeElem).toMatchObject({ title: 'chat', abstractList: ['alice: src'], multiMessage: [{ clientMsgID: src.clientMsgID }] });
    const fwd = creators.CreateForwardMessage({ ...me, userID: 'carol' }, src);
    expect(fwd).toMatchObject({ contentType: 101, textElem: { content: 'src' }, sendID: 'carol', status: 1, seq: 0 });
    expect(fwd.clientMsgID).not.toBe(src.clientMsgID);
  });

  it('URL media: picture, sound, video, file', () => {
    const pic = { uuid: 'u', type: 'png', size: 10, width: 2, height: 3, url: 'http://x/p.png' };
    expect(creators.CreateImageMessageByURL(me, '', pic, pic, pic)).toMatchObject({ contentType: 102, pictureElem: { sourcePicture: pic, bigPicture: pic, snapshotPicture: pic } });
    expect(creators.CreateSoundMessageByURL(me, { uuid: 'u', soundPath: '', sourceUrl: 'http://x/s.mp3', dataSize: 5, duration: 2 }).soundElem).toMatchObject({ sourceUrl: 'http://x/s.mp3', duration: 2 });
    expect(creators.CreateVideoMessageByURL(me, { videoPath: '', duration: 1, videoType: 'mp4', snapshotPath: '', videoUUID: 'v', videoUrl: 'http://x/v.mp4', videoSize: 9, snapshotUUID: '', snapshotSize: 0, snapshotUrl: '', snapshotWidth: 0, snapshotHeight: 0 }).contentType).toBe(104);
    expect(creators.CreateFileMessageByURL(me, { filePath: '', fileName: 'a.txt', uuid: 'f', sourceUrl: 'http://x/a.txt', fileSize: 3 }).fileElem).toMatchObject({ fileName: 'a.txt', fileSize: 3 });
  });

  it('bad arguments are 10002 ArgsError', () => {
    const err = (() => {
      try {
        creators.CreateTextMessage(me, 42);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).code).toBe(10002);
    expect(() => creators.CreateTextAtMessage(me, 'x', 'not-json')).toThrow(CodedError);
    expect(() => creators.CreateQuoteMessage(me, 'x', { nope: 1 })).toThrow(CodedError);
  });

  it('MsgData round trip keeps the elem, and @ of self sets isAtSelf on receipt', () => {
    const m = creators.CreateTextAtMessage(me, '@bob', ['bob'], undefined, undefined);
    m.recvID = 'bob';
    m.sessionType = 1;
    const wire = PbCoder.MsgData.decode(PbCoder.MsgData.encode(itemToMsgData(m, { options: {}, offlinePush: undefined })).finish());
    expect(wire.atUserIDList).toEqual(['bob']);
    const got = msgDataToItem({ ...wire, seq: 4, status: 2 }, 'bob');
    expect(got).toMatchObject({ clientMsgID: m.clientMsgID, seq: 4, contentType: 106, atTextElem: { text: '@bob', isAtSelf: true } });
  });
});
