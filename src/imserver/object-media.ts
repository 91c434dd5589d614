// How a stored object is served to browsers. The Content-Type was chosen by the uploader, and
// objects are served from the IM server's own origin, so a stored HTML or SVG file opened in a
// tab must never run as a page of that origin. Three layers:
// - only passive media (raster images, audio, video, plain text) is served inline with its type;
//   everything else is an attachment, and types a browser can execute (HTML, XML/SVG, script)
//   are served as application/octet-stream;
// - `X-Content-Type-Options: nosniff`, so the declared type is the type;
// - a CSP `sandbox` with no script source, in case a browser renders it anyway.

/** Served inline with the stored type. */
const INLINE = /^(image\/(png|jpeg|gif|webp|bmp|avif)|audio\/[a-z0-9][\w.+-]*|video\/[a-z0-9][\w.+-]*|text\/plain)$/;
/** Never served under their own type: a browser would execute them. */
const ACTIVE = /html|xml|javascript|ecmascript|^text\/(css|xsl|vtt)$|^multipart\/|shockwave|^application\/pdf$/;
const ESSENCE = /^[a-z0-9][\w.+-]*\/[a-z0-9][\w.+-]*$/;
const MAX_CONTENT_TYPE = 255;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The essence (`type/subtype`, lower case) of what the client declared; junk → octet-stream. */
export function normaliseContentType(declared: string): string {
  if (declared.length > MAX_CONTENT_TYPE) return DEFAULT_CONTENT_TYPE;
  const essence = declared.split(';', 1)[0]!.trim().toLowerCase();
  return ESSENCE.test(essence) ? essence : DEFAULT_CONTENT_TYPE;
}

const CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/** RFC 6266 / 8187: an ASCII fallback plus the exact UTF-8 name. */
function disposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(fileName).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** The content headers of an object with this stored type and file name. */
export function mediaHeaders(contentType: string, fileName: string): Record<string, string> {
  const essence = normaliseContentType(contentType);
  const inline = INLINE.test(essence);
  const served = inline ? (essence === 'text/plain' ? 'text/plain; charset=utf-8' : essence) : ACTIVE.test(essence) ? DEFAULT_CONTENT_TYPE : essence;
  return {
    'Content-Type': served,
    'Content-Disposition': disposition(inline ? 'inline' : 'attachment', fileName),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': CSP,
    // Readable by pages of other origins (an <img> in a web app, a demo page with COEP).
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
}
