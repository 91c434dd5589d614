// Object URLs behind a proxy: with a public URL set, every URL the object routes hand out (signed
// part PUTs, the finished object, access_url) starts with it, whatever Host the request carried,
// and a proxy that strips the prefix lands them on the server's own routes.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { complete, initiate, partUrl, putPart } from '../helpers/upload.ts';

const PUBLIC = 'https://im.example.test/openim';

describe('object URLs with --imserver-public-url', () => {
  let im: TestIm;
  let ann: string;
  // What the TLS proxy does: https://im.example.test/openim/x -> http://127.0.0.1:port/x.
  const viaProxy = (url: string): string => {
    expect(url.startsWith(`${PUBLIC}/`), url).toBe(true);
    return im.apiAddress + url.slice(PUBLIC.length);
  };

  beforeAll(async () => {
    im = await startTestIm({ publicUrl: `${PUBLIC}/` }); // a trailing slash is dropped
    await im.register('ann');
    ann = await im.userToken('ann');
  });
  afterAll(async () => {
    await im?.close();
  });

  it('hands out part, object and access URLs under the public base, and they work through the proxy', async () => {
    const bytes = randomBytes(6 * 1024 * 1024); // two parts
    const up = await initiate(im.apiAddress, ann, 'ann/behind-tls.png', bytes, 'image/png');
    const sign = up.initiated.upload!.sign!;
    expect(sign.parts).toHaveLength(2);
    for (const p of sign.parts) {
      const res = await putPart(viaProxy(partUrl(sign, p)), up.parts[p.partNumber - 1]!, 'image/png');
      expect(res.status).toBe(200);
    }
    const url = await complete(im.apiAddress, ann, up, 'ann/behind-tls.png', 'image/png');
    const got = await fetch(viaProxy(url), { signal: AbortSignal.timeout(15_000) });
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);

    const name = decodeURIComponent(new URL(url).pathname.slice('/openim/object/'.length));
    const access = await imPost<{ url: string }>(im.apiAddress, '/object/access_url', { name }, ann);
    expect(access.url).toBe(url);
  });
});
