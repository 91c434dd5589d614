// /object/*: the upload API open-im-sdk@3.5.2 calls from the browser (upstream
// internal/api/third.go, internal/rpc/third/s3.go). The part PUTs and the object GET are plain
// HTTP, not envelope routes: object-http.ts.

import { imArgsError } from '../errs.ts';
import type { ObjectCaller } from '../objects.ts';
import { field, int, intList, isBody, str, strList, required } from './body.ts';
import type { RouteRequest, Router } from './router.ts';

function caller(req: RouteRequest): ObjectCaller {
  return { userID: req.userID, isAdmin: req.isAdmin, base: req.base };
}

/** `query` is a map<string, string>. */
function stringMap(b: Record<string, unknown>, key: string): Record<string, string> {
  const v = field(b, key);
  if (v === undefined || v === null) return {};
  if (!isBody(v)) throw imArgsError(`json: cannot unmarshal into field ${key} of type map[string]string`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw imArgsError(`json: cannot unmarshal into field ${key} of type map[string]string`);
    out[k] = x;
  }
  return out;
}

export function registerObjectRoutes(r: Router): void {
  r.add('/object/part_limit', {
    auth: 'user',
    handle: (req) => req.im.objects.partLimit(),
  });

  r.add('/object/part_size', {
    auth: 'user',
    handle: (req, b) => ({ size: req.im.objects.partSize(int(b, 'size')) }),
  });

  r.add('/object/initiate_multipart_upload', {
    auth: 'user',
    handle: (req, b) =>
      req.im.objects.initiate(caller(req), {
        hash: str(b, 'hash'),
        size: int(b, 'size'),
        maxParts: int(b, 'maxParts'),
        name: str(b, 'name'),
        contentType: str(b, 'contentType'),
        cause: str(b, 'cause'),
      }),
  });

  r.add('/object/auth_sign', {
    auth: 'user',
    handle: (req, b) => req.im.objects.authSign(caller(req), required(str(b, 'uploadID'), 'uploadID'), intList(b, 'partNumbers')),
  });

  r.add('/object/complete_multipart_upload', {
    auth: 'user',
    async handle(req, b) {
      const uploadID = required(str(b, 'uploadID'), 'uploadID');
      const url = await req.im.objects.complete(caller(req), uploadID, strList(b, 'parts'), str(b, 'name'), str(b, 'contentType'), str(b, 'cause'));
      return { url };
    },
  });

  r.add('/object/access_url', {
    auth: 'user',
    handle: (req, b) => req.im.objects.accessUrl(req.base, required(str(b, 'name'), 'name'), stringMap(b, 'query')),
  });
}
