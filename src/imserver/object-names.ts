// Object names: what a client asks to call its upload, what the server stores it as, and the URL
// that serves it back.
//
// The client picks the name (open-im-sdk@3.5.2 sends `${userID}/${file.name}`), so it can hold
// anything a file name can: `../../x.png`, backslashes, control characters. Names never touch
// the file system (content is stored by hash, object-files.ts), but they do become URL paths,
// and a URL parser folds `.` and `..` segments (also `%2e%2e`) away. So a name is cut into
// segments, the empty, `.` and `..` ones are dropped, and control characters removed; the
// upload is never refused for its name. The content hash becomes the second segment, which
// makes every URL immutable (two uploads of `image.png` never overwrite each other) and
// unguessable without the content (upstream maps the bare name and overwrites it).

import { imArgsError, ImCode, imError } from './errs.ts';

/** Upstream's checkValidObjectNamePrefix limit. */
const MAX_NAME_LENGTH = 1024;
/** The URL path prefix objects are served under (upstream's `GET /object/*name`). */
export const OBJECT_PATH = '/object/';

// eslint-disable-next-line no-control-regex -- control characters are what this strips
const CONTROL = /[\u0000-\u001f\u007f]/g;
// In u-mode a paired surrogate is one astral code point; only a lone one is category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

function cleanSegments(raw: string): string[] {
  return raw
    .split(/[/\\]+/)
    .map((s) => s.replace(CONTROL, '').trim())
    .filter((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * The stored name for `clientName` uploaded by `userID` with content `hash`. A non-admin's name
 * must start with `${userID}/` (upstream checkUploadName, 1002 otherwise); the rest is sanitised.
 */
export function storedObjectName(clientName: string, userID: string, isAdmin: boolean, hash: string): string {
  if (clientName.trim() === '') throw imArgsError('name is empty');
  if (clientName.length > MAX_NAME_LENGTH) throw imArgsError(`object name cannot be longer than ${MAX_NAME_LENGTH} characters`);
  if (LONE_SURROGATE.test(clientName)) throw imArgsError('object name with non UTF-8 strings are not supported');
  let owner = '';
  let rest = clientName;
  if (!isAdmin) {
    if (!clientName.startsWith(`${userID}/`)) throw imError(ImCode.NoPermission, `name must start with \`${userID}/\``);
    // A user ID may be `.` or `..` (IDs allow dots); as a URL segment it would vanish.
    owner = userID === '.' || userID === '..' ? '_' : userID;
    rest = clientName.slice(userID.length + 1);
  }
  const segments = cleanSegments(rest);
  if (segments.length === 0) segments.push('file');
  return [...(owner ? [owner] : []), hash, ...segments].join('/');
}

/** The last segment: the file name offered in Content-Disposition. */
export function fileNameOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** `${base}/object/<name, each segment percent-encoded>`. */
export function objectUrl(base: string, name: string): string {
  return base + OBJECT_PATH + name.split('/').map(encodeURIComponent).join('/');
}

/** The name a GET path (after OBJECT_PATH) addresses, or undefined when it cannot be decoded. */
export function nameFromPath(encoded: string): string | undefined {
  try {
    return encoded.split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}
