// Images, files, video and sound with two real open-im-sdk@3.5.2 clients through the gateway:
// the client's own upload code (part_size, initiate, signed PUTs, complete against the
// embedded IM server's apiAddr), then the *ByURL creator it sends over the wire, sendMessage,
// and the peer fetching the bytes from the URL in the message it received.

import { randomBytes } from 'node:crypto';
import { CbEvents, type MessageItem } from 'open-im-sdk';
import { installFileReader } from '../helpers/file-reader.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';
import type { Stack } from '../helpers/gateway.ts';
import type { SdkUser } from '../helpers/sdk-events.ts';

const MiB = 1024 * 1024;
let stack: Stack;
let alice: SdkUser;
let bob: SdkUser;

async function fetchBytes(url: string): Promise<{ body: Buffer; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  expect(res.status).toBe(200);
  return { body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** Send `message` from alice to bob and return the copy bob's client received. */
async function deliver(message: MessageItem): Promise<MessageItem> {
  const from = bob.mark();
  await alice.call(alice.sdk.sendMessage({ recvID: 'bob', groupID: '', message }), 'sendMessage');
  let got: MessageItem | undefined;
  await bob.waitEvent<MessageItem[]>(CbEvents.OnRecvNewMessages, (msgs) => !!(got = msgs.find((m) => m.clientMsgID === message.clientMsgID)), from);
  return got!;
}

test.beforeAll(async ({ stack: s, login }) => {
  installFileReader();
  stack = s;
  alice = await login('alice');
  bob = await login('bob');
}, 60_000);

describe('media messages through the real client', () => {
  test('uploadFile stores the bytes and answers a URL that serves them', async () => {
    const bytes = randomBytes(40_000);
    const res = (await alice.sdk.uploadFile({ file: new File([bytes], 'notes.txt') })) as { errCode: number; data: { url: string } };
    expect(res.errCode).toBe(0);
    expect(new URL(res.data.url).origin).toBe(stack.im.apiAddress);
    const got = await fetchBytes(res.data.url);
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  test('an image message from createImageMessageByFile reaches bob, who fetches identical bytes', async () => {
    const bytes = randomBytes(120_000);
    const pic = { uuid: 'u-img', type: 'image/png', size: bytes.length, width: 640, height: 480, url: '' };
    const message = await alice.call<MessageItem>(
      alice.sdk.createImageMessageByFile({ sourcePicture: { ...pic }, bigPicture: { ...pic }, snapshotPicture: { ...pic, width: 200, height: 150 }, sourcePath: '', file: new File([bytes], 'cat.png') }),
      'createImageMessageByFile',
    );
    const got = await deliver(message);
    expect(got.contentType).toBe(102);
    const source = got.pictureElem.sourcePicture.url;
    expect(source).toMatch(/\/object\/alice\/[0-9a-f]{32}\/cat\.png$/);
    expect((await fetchBytes(source)).body.equals(bytes)).toBe(true);
    expect(got.pictureElem.snapshotPicture.url).toBe(`${source}?type=image&width=200&height=150`);
    const snapshot = await fetchBytes(got.pictureElem.snapshotPicture.url);
    expect(snapshot.body.equals(bytes)).toBe(true);
    expect(snapshot.headers.get('content-type')).toBe('image/png');
  });

  test('a file message (several parts) from createFileMessageByFile reaches bob as an attachment', async () => {
    const bytes = randomBytes(11 * MiB + 7);
    const message = await alice.call<MessageItem>(
      alice.sdk.createFileMessageByFile({ filePath: '', fileName: 'report.pdf', uuid: 'u-file', sourceUrl: '', fileSize: bytes.length, file: new File([bytes], 'report.pdf') }),
      'createFileMessageByFile',
      60_000,
    );
    const got = await deliver(message);
    expect(got.contentType).toBe(105);
    expect(got.fileElem.fileName).toBe('report.pdf');
    const file = await fetchBytes(got.fileElem.sourceUrl);
    expect(file.body.equals(bytes)).toBe(true);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="report.pdf"/);
  });

  test('a video message uploads the video and its snapshot; bob fetches both', async () => {
    const video = randomBytes(300_000);
    const snap = randomBytes(20_000);
    const message = await alice.call<MessageItem>(
      alice.sdk.createVideoMessageByFile({
        videoPath: '', duration: 3, videoType: 'mp4', snapshotPath: '', videoUUID: 'u-vid', videoUrl: '', videoSize: video.length,
        snapshotUUID: 'u-snap', snapshotSize: snap.length, snapshotUrl: '', snapshotWidth: 320, snapshotHeight: 240,
        videoFile: new File([video], 'clip.mp4'), snapshotFile: new File([snap], 'clip.jpg'),
      }),
      'createVideoMessageByFile',
    );
    const got = await deliver(message);
    expect(got.contentType).toBe(104);
    const v = await fetchBytes(got.videoElem.videoUrl);
    expect(v.body.equals(video)).toBe(true);
    expect(v.headers.get('content-type')).toBe('video/mp4');
    expect((await fetchBytes(got.videoElem.snapshotUrl)).body.equals(snap)).toBe(true);
  });

  test('a sound message from createSoundMessageByFile reaches bob, who fetches identical bytes', async () => {
    const bytes = randomBytes(50_000);
    const message = await alice.call<MessageItem>(
      alice.sdk.createSoundMessageByFile({ uuid: 'u-snd', soundPath: '', sourceUrl: '', dataSize: bytes.length, duration: 4, file: new File([bytes], 'voice.mp3') }),
      'createSoundMessageByFile',
    );
    const got = await deliver(message);
    expect(got.contentType).toBe(103);
    const sound = await fetchBytes(got.soundElem.sourceUrl);
    expect(sound.body.equals(bytes)).toBe(true);
    expect(sound.headers.get('content-type')).toBe('audio/mpeg');
  });

  test('a file named with path characters is stored under a safe name and still reaches bob', async () => {
    const bytes = randomBytes(2_000);
    const message = await alice.call<MessageItem>(
      alice.sdk.createFileMessageByFile({ filePath: '', fileName: '../../x.png', uuid: 'u-evil', sourceUrl: '', fileSize: bytes.length, file: new File([bytes], '../../x.png') }),
      'createFileMessageByFile',
    );
    const got = await deliver(message);
    expect(new URL(got.fileElem.sourceUrl).pathname).toMatch(/^\/object\/alice\/[0-9a-f]{32}\/x\.png$/);
    expect((await fetchBytes(got.fileElem.sourceUrl)).body.equals(bytes)).toBe(true);
  });
});
