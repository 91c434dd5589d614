// Object storage over plain HTTP, as open-im-sdk@3.5.2 drives it: part sizes, signed part
// PUTs, completion, the object GET with browser-safe headers, names with path characters,
// limits, quota, a restart in the middle of an upload, and the sweep of abandoned uploads.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { complete, initiate, md5, partUrl, putAll, putPart, uploadBytes } from '../helpers/upload.ts';

const MiB = 1024 * 1024;

async function errCodeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return (e as { errCode?: number }).errCode ?? -1;
  }
  return 0;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe('object storage', () => {
  let im: TestIm;
  let ann: string;
  let ben: string;

  beforeAll(async () => {
    im = await startTestIm();
    await im.register('ann');
    await im.register('ben');
    ann = await im.userToken('ann');
    ben = await im.userToken('ben');
  });
  afterAll(async () => {
    await im?.close();
  });

  it('answers part_limit and part_size with minio rules, and refuses sizes out of range', async () => {
    expect(await imPost(im.apiAddress, '/object/part_limit', {}, ann)).toEqual({ minPartSize: 5 * MiB, maxPartSize: 5 * 1024 * MiB, maxNumSize: 10_000 });
    expect(await imPost(im.apiAddress, '/object/part_size', { size: 1 }, ann)).toEqual({ size: 5 * MiB });
    expect(await errCodeOf(imPost(im.apiAddress, '/object/part_size', { size: 0 }, ann))).toBe(1001);
    expect(await errCodeOf(imPost(im.apiAddress, '/object/part_size', { size: 100 * MiB + 1 }, ann))).toBe(1001);
    expect(await errCodeOf(imPost(im.apiAddress, '/object/part_size', { size: 1 }))).toBe(1001); // no token
  });

  it('stores a one-part image and serves identical bytes inline with safe headers and CORS', async () => {
    const bytes = randomBytes(70_000);
    const url = await uploadBytes(im.apiAddress, ann, 'ann/photo.png', bytes, 'image/png');
    expect(url.startsWith(`${im.apiAddress}/object/ann/`)).toBe(true);
    expect(url.endsWith('/photo.png')).toBe(true);
    const r = await get(url);
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes)).toBe(true);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('content-disposition')).toMatch(/^inline; filename="photo.png"/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    // The image query the client appends to snapshot URLs serves the original.
    expect((await get(`${url}?type=image&width=200&height=100`)).body.equals(bytes)).toBe(true);
    expect((await get(`${url}?type=video`)).status).toBe(400);
  });

  it('assembles a three-part upload and serves byte ranges', async () => {
    const bytes = randomBytes(11 * MiB);
    const up = await initiate(im.apiAddress, ann, 'ann/clip.mp4', bytes, 'video/mp4');
    expect(up.initiated.upload!.sign!.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    await putAll(up, 'video/mp4');
    const url = await complete(im.apiAddress, ann, up, 'ann/clip.mp4', 'video/mp4');
    const whole = await get(url);
    expect(whole.body.equals(bytes)).toBe(true);
    const part = await get(url, { Range: 'bytes=5242870-5242889' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 5242870-5242889/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(5_242_870, 5_242_890))).toBe(true);
    expect((await get(url, { Range: `bytes=${bytes.length}-` })).status).toBe(416);
  });

  it('refuses a part PUT with a bad signature, a forged expiry or the wrong size, in the envelope', async () => {
    const bytes = randomBytes(1000);
    const up = await initiate(im.apiAddress, ann, 'ann/a.bin', bytes, 'application/octet-stream');
    const sign = up.initiated.upload!.sign!;
    const good = new URL(partUrl(sign, sign.parts[0]!));

    const badSig = new URL(good);
    badSig.searchParams.set('signature', '0'.repeat(64));
    let res = await putPart(badSig.toString(), bytes);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errCode: 1002, errMsg: 'NoPermissionError' });

    const later = new URL(good);
    later.searchParams.set('expires', String(Number(good.searchParams.get('expires')) + 3_600_000));
    expect((await putPart(later.toString(), bytes)).status).toBe(403);

    const otherPart = new URL(good);
    otherPart.searchParams.set('partNumber', '2');
    expect((await putPart(otherPart.toString(), bytes)).status).toBe(403);

    res = await putPart(good.toString(), bytes.subarray(0, 999));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errCode: 1001 });

    expect((await putPart(good.toString(), bytes)).status).toBe(200);
    // Completing with hashes that do not match what was stored fails.
    const body = { uploadID: up.initiated.upload!.uploadID, parts: [md5('other')], name: 'ann/a.bin', contentType: '' };
    expect(await errCodeOf(imPost(im.apiAddress, '/object/complete_multipart_upload', body, ann))).toBe(1001);
    // Another user cannot complete (or even see) ann's upload.
    expect(await errCodeOf(complete(im.apiAddress, ben, up, 'ben/a.bin', ''))).toBe(1004);
    expect((await get(await complete(im.apiAddress, ann, up, 'ann/a.bin', ''))).body.equals(bytes)).toBe(true);
  });

  it('sanitises a name with path characters, serves it back, and writes nothing outside the data dir', async () => {
    const bytes = randomBytes(500);
    const url = await uploadBytes(im.apiAddress, ann, 'ann/../../x.png', bytes, 'image/png');
    expect(new URL(url).pathname).toMatch(/^\/object\/ann\/[0-9a-f]{32}\/x\.png$/);
    expect((await get(url)).body.equals(bytes)).toBe(true);
    const odd = await uploadBytes(im.apiAddress, ann, 'ann/..\\a\u0000b/./%2e%2e/ü n.png', bytes, 'image/png');
    expect(new URL(odd).pathname).toMatch(/^\/object\/ann\/[0-9a-f]{32}\/ab\/%252e%252e\/%C3%BC%20n\.png$/);
    expect((await get(odd)).body.equals(bytes)).toBe(true);
    // Content is stored by hash only: no file anywhere is named after the client's name.
    expect(existsSync(join(dirname(im.dataDir), 'x.png'))).toBe(false);
    const files = readdirSync(im.dataDir, { recursive: true }).map(String);
    expect(files.filter((f) => !/^(imserver\.db(-wal|-shm)?|objects|uploads|objects\/[0-9a-f]{2}(\/[0-9a-f]{32})?|uploads\/[0-9a-f]{32}.*)$/.test(f))).toEqual([]);
    // Only the name's owner prefix is a rule (upstream's checkUploadName).
    expect(await errCodeOf(initiate(im.apiAddress, ann, 'ben/x.png', bytes, 'image/png'))).toBe(1002);
  });

  it('serves HTML and SVG as attachments a browser will not run', async () => {
    const html = Buffer.from('<script>alert(document.domain)</script>');
    for (const [name, type] of [['ann/page.html', 'text/html'], ['ann/pic.svg', 'image/svg+xml']] as const) {
      const r = await get(await uploadBytes(im.apiAddress, ann, name, html, type));
      expect(r.headers.get('content-type')).toBe('application/octet-stream');
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.body.equals(html)).toBe(true);
    }
    const pdf = await get(await uploadBytes(im.apiAddress, ann, 'ann/doc.txt', Buffer.from('hi'), 'text/plain'));
    expect(pdf.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('answers a known hash at once with the URL (no second upload)', async () => {
    const bytes = randomBytes(3000);
    await uploadBytes(im.apiAddress, ann, 'ann/same.bin', bytes);
    const again = await initiate(im.apiAddress, ben, 'ben/copy.bin', bytes, 'application/octet-stream');
    expect(again.initiated.upload).toBeUndefined();
    expect(new URL(again.initiated.url!).pathname).toMatch(/^\/object\/ben\/[0-9a-f]{32}\/copy\.bin$/);
    expect((await get(again.initiated.url!)).body.equals(bytes)).toBe(true);
  });

  it('access_url answers the URL of a stored name and 1004 for an unknown one', async () => {
    const url = await uploadBytes(im.apiAddress, ann, 'ann/acc.png', randomBytes(10), 'image/png');
    const name = decodeURIComponent(new URL(url).pathname.slice('/object/'.length));
    const r = await imPost<{ url: string; expireTime: number }>(im.apiAddress, '/object/access_url', { name, query: { type: 'image', width: '10' } }, ben);
    expect(r.url).toBe(`${url}?type=image&width=10`);
    expect(r.expireTime).toBeGreaterThan(Date.now());
    expect(await errCodeOf(imPost(im.apiAddress, '/object/access_url', { name: 'ann/nope' }, ben))).toBe(1004);
    expect((await get(`${im.apiAddress}/object/ann/nope`)).status).toBe(404);
  });

  it('answers a cross-origin preflight for the part PUT', async () => {
    const res = await fetch(`${im.apiAddress}/upload/abc`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://demo.example:8080', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('*');
  });
});

describe('object storage limits', () => {
  it('refuses an object over the size limit and uploads past the per-user quota (open uploads count)', async () => {
    const im = await startTestIm({ objects: { maxObjectBytes: 4000, quotaBytes: 5000 } });
    try {
      await im.register('cid');
      const cid = await im.userToken('cid');
      expect(await errCodeOf(initiate(im.apiAddress, cid, 'cid/big', randomBytes(4001), ''))).toBe(1001);
      await uploadBytes(im.apiAddress, cid, 'cid/one', randomBytes(3000));
      const open = await initiate(im.apiAddress, cid, 'cid/two', randomBytes(1500), '');
      expect(open.initiated.upload).toBeDefined();
      expect(await errCodeOf(initiate(im.apiAddress, cid, 'cid/three', randomBytes(1000), ''))).toBe(1002);
      // Uploads started at once cannot all slip under the quota together.
      const racing = await Promise.all([1, 2, 3].map((i) => errCodeOf(initiate(im.apiAddress, cid, `cid/race${i}`, randomBytes(250), ''))));
      expect(racing.sort()).toEqual([0, 0, 1002]);
      // The admin is not held to the quota.
      expect(await errCodeOf(initiate(im.apiAddress, await im.adminToken(), 'x/admin.bin', randomBytes(3000), ''))).toBe(0);
    } finally {
      await im.close();
    }
  });
});

describe('uploads across a restart and abandoned uploads', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdkgate-im-objects-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('continues an upload after a restart and still serves the object', async () => {
    const bytes = randomBytes(6 * MiB);
    const first = await startTestIm({ dataDir });
    await first.register('dee');
    const dee = await first.userToken('dee');
    const up = await initiate(first.apiAddress, dee, 'dee/movie.mp4', bytes, 'video/mp4');
    const sign = up.initiated.upload!.sign!;
    expect((await putPart(partUrl(sign, sign.parts[0]!), up.parts[0]!, 'video/mp4')).status).toBe(200);
    await first.close();

    const second = await startTestIm({ dataDir });
    try {
      // The signed URL names the old port; the signature does not cover the host.
      const u = new URL(partUrl(sign, sign.parts[1]!));
      u.port = new URL(second.apiAddress).port;
      expect((await putPart(u.toString(), up.parts[1]!, 'video/mp4')).status).toBe(200);
      const url = await complete(second.apiAddress, dee, up, 'dee/movie.mp4', 'video/mp4');
      await second.close();
      const third = await startTestIm({ dataDir });
      try {
        const again = new URL(url);
        again.port = new URL(third.apiAddress).port;
        expect((await get(again.toString())).body.equals(bytes)).toBe(true);
      } finally {
        await third.close();
      }
    } finally {
      await second.close();
    }
  });

  it('sweeps an abandoned upload: parts deleted, quota freed, its URLs dead', async () => {
    const im = await startTestIm({ objects: { uploadTtlMs: 300, sweepIntervalMs: 100, quotaBytes: 2000 } });
    try {
      await im.register('eve');
      const eve = await im.userToken('eve');
      const bytes = randomBytes(1500);
      const up = await initiate(im.apiAddress, eve, 'eve/left.bin', bytes, '');
      const sign = up.initiated.upload!.sign!;
      const url = partUrl(sign, sign.parts[0]!);
      expect((await putPart(url, bytes)).status).toBe(200);
      const dir = join(im.dataDir, 'uploads', up.initiated.upload!.uploadID);
      expect(existsSync(dir)).toBe(true);
      await expect.poll(() => existsSync(dir), { timeout: 10_000, interval: 50, message: 'the abandoned upload swept' }).toBe(false);
      expect((await putPart(url, bytes)).status).toBe(403);
      expect(await errCodeOf(complete(im.apiAddress, eve, up, 'eve/left.bin', ''))).toBe(1004);
      // The reservation is gone: the same size fits in the quota again.
      expect(await errCodeOf(initiate(im.apiAddress, eve, 'eve/next.bin', randomBytes(1500), ''))).toBe(0);
    } finally {
      await im.close();
    }
  });
});
