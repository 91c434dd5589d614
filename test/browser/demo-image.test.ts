// Image send in the demo chat: the unmodified client uploads the file itself to the embedded IM
// server's /object/* routes (cross-origin from the page), then sends the message by URL through
// sdkgate; the peer's page shows the image, loaded from the IM server.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { docScreenshot, recordConsole, type Page } from '../helpers/browser.ts';
import { useDemoStack } from '../helpers/demo-stack.ts';

const stack = useDemoStack('sdkgate-demo-img-');

const T = { timeout: 15_000 };

/** A small RGB PNG (a gradient), built here so the test needs no fixture file. */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < h; y++) {
    rows.push(0);
    for (let x = 0; x < w; x++) rows.push((x * 255) / w, (y * 255) / h, 180);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}

async function loggedIn(userID: string): Promise<{ page: Page; console: string[] }> {
  const page = await (await stack.browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 900, height: 560 });
  const console = recordConsole(page);
  await page.goto(stack.gateway.demoUrl!);
  await page.waitForSelector('body[data-state="login"]', T);
  await page.type('#login-user', userID);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-state="ready"]', T);
  return { page, console };
}

describe('the demo chat with images', () => {
  it('uploads an image from one page and shows it on the other', async () => {
    const carol = await loggedIn('carol');
    const dave = await loggedIn('dave');
    await carol.page.type('#new-chat-user', 'dave');
    await carol.page.click('#new-chat button');
    await carol.page.waitForSelector('#composer:not([hidden])', T);

    const file = join(stack.dir, 'gradient.png');
    writeFileSync(file, png(96, 64));
    const input = await carol.page.$('input#composer-image');
    await input!.uploadFile(file);
    await carol.page.waitForSelector('#messages li.mine img', T);

    await dave.page.waitForSelector('#conversations li[data-peer="carol"]', T);
    expect(await dave.page.$eval('#conversations li[data-peer="carol"] .last', (e) => e.textContent)).toBe('[image]');
    await dave.page.click('#conversations li[data-peer="carol"]');
    await dave.page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#messages li.theirs img');
      return img !== null && img.complete && img.naturalWidth === 96 && img.naturalHeight === 64;
    }, T);
    const src = await dave.page.$eval('#messages li.theirs img', (e) => e.src);
    expect(new URL(src).origin).not.toBe(new URL(stack.gateway.demoUrl!).origin); // served by the IM server
    await docScreenshot(dave.page, 'demo-image.png');
    for (const c of [carol, dave]) expect(c.console.filter((l) => /error/i.test(l))).toEqual([]);
  }, 60_000);
});
