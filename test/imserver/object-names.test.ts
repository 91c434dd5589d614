// The pure rules of object storage: how a client's name is stored and addressed, and the headers
// a stored type is served with.

import { describe, expect, it } from 'vitest';
import { mediaHeaders, normaliseContentType } from '../../src/imserver/object-media.ts';
import { nameFromPath, objectUrl, storedObjectName } from '../../src/imserver/object-names.ts';

const H = 'a'.repeat(32);

describe('object names', () => {
  it('keeps the owner prefix, adds the content hash and drops path tricks', () => {
    expect(storedObjectName('amy/photo.png', 'amy', false, H)).toBe(`amy/${H}/photo.png`);
    expect(storedObjectName('amy/../../x.png', 'amy', false, H)).toBe(`amy/${H}/x.png`);
    expect(storedObjectName('amy/a\\..\\b/./c\u0007d', 'amy', false, H)).toBe(`amy/${H}/a/b/cd`);
    expect(storedObjectName('amy/..', 'amy', false, H)).toBe(`amy/${H}/file`);
    expect(storedObjectName('../x', '..', false, H)).toBe(`_/${H}/x`);
    expect(storedObjectName('/etc/passwd', 'imAdmin', true, H)).toBe(`${H}/etc/passwd`);
  });

  it('refuses only what upstream refuses: an empty, over-long or foreign name', () => {
    expect(() => storedObjectName(' ', 'amy', false, H)).toThrow(/empty/);
    expect(() => storedObjectName(`amy/${'x'.repeat(1100)}`, 'amy', false, H)).toThrow(/1024/);
    expect(() => storedObjectName('amy/\uD800.png', 'amy', false, H)).toThrow(/UTF-8/);
    expect(() => storedObjectName('bob/x.png', 'amy', false, H)).toThrow(/must start with `amy\/`/);
  });

  it('round-trips a name through its URL, whatever its characters', () => {
    const name = `amy/${H}/ü n#?%2e.png`;
    const url = objectUrl('http://h:1', name);
    expect(url).toBe(`http://h:1/object/amy/${H}/%C3%BC%20n%23%3F%252e.png`);
    expect(nameFromPath(new URL(url).pathname.slice('/object/'.length))).toBe(name);
    expect(nameFromPath('%E0%A4%A')).toBeUndefined();
  });
});

describe('served media headers', () => {
  it('serves passive media inline and everything else as an attachment', () => {
    expect(mediaHeaders('image/png', 'a.png')).toMatchObject({ 'Content-Type': 'image/png', 'Content-Disposition': 'inline; filename="a.png"; filename*=UTF-8\'\'a.png' });
    expect(mediaHeaders('video/mp4', 'v.mp4')['Content-Disposition']).toMatch(/^inline/);
    expect(mediaHeaders('application/zip', 'z.zip')).toMatchObject({ 'Content-Type': 'application/zip', 'Content-Disposition': expect.stringMatching(/^attachment/) });
  });

  it('never serves a type a browser would run under its own name', () => {
    for (const t of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/javascript', 'application/xml', 'application/pdf', 'TEXT/HTML; charset=utf-8']) {
      expect(mediaHeaders(t, 'x')).toMatchObject({ 'Content-Type': 'application/octet-stream', 'Content-Disposition': expect.stringMatching(/^attachment/) });
    }
    expect(mediaHeaders('text/html', 'x')).toMatchObject({ 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': expect.stringMatching(/^sandbox;/) });
  });

  it('turns junk into octet-stream and keeps the file name safe in the header', () => {
    expect(normaliseContentType('not a type')).toBe('application/octet-stream');
    expect(normaliseContentType('x'.repeat(300))).toBe('application/octet-stream');
    expect(mediaHeaders('image/png', 'ü"\\%.png')['Content-Disposition']).toBe('inline; filename="____.png"; filename*=UTF-8\'\'%C3%BC%22%5C%25.png');
  });
});
