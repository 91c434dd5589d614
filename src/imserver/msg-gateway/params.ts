// The message gateway's connect URL (open-im-server internal/msggateway/context.go):
// sendID, token, platformID, operationID and isBackground are required; isMsgResp asks for a
// first text frame with the auth result; sdkType js = JSON frames; compression=gzip.

import { isValidPlatformId } from '../../ids.ts';
import { ImCode, imError } from '../errs.ts';

export interface ConnParams {
  readonly userID: string;
  readonly token: string;
  readonly platformID: number;
  readonly operationID: string;
  readonly isBackground: boolean;
  readonly isMsgResp: boolean;
  readonly compression: boolean;
  readonly sdkVersion: string;
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function connArgs(detail: string) {
  return imError(ImCode.ConnArgsErr, detail);
}

/** Whether the client asked for the first-frame auth result (decided before any other check). */
export function wantsMsgResp(q: URLSearchParams): boolean {
  return parseGoBool(q.get('isMsgResp') ?? '') === true;
}

export function parseConnParams(q: URLSearchParams, headers: Record<string, string | string[] | undefined>): ConnParams {
  const token = q.get('token') ?? '';
  if (!token) throw connArgs('token is empty');
  const userID = q.get('sendID') ?? '';
  if (!userID) throw connArgs('sendID is empty');
  const platformRaw = q.get('platformID') ?? '';
  if (!platformRaw) throw connArgs('platformID is empty');
  const platformID = Number(platformRaw);
  if (!/^\d+$/.test(platformRaw) || !isValidPlatformId(platformID)) throw connArgs('platformID is not a valid platform');
  const operationID = q.get('operationID') ?? '';
  if (!operationID) throw connArgs('operationID is empty');
  const bg = q.get('isBackground');
  if (bg === null || bg === '') throw connArgs('isBackground is empty');
  const isBackground = parseGoBool(bg);
  if (isBackground === undefined) throw connArgs('isBackground is not a bool');
  const sdkType = q.get('sdkType') ?? '';
  if (sdkType === '' || sdkType === 'go') {
    throw connArgs('sdkType=go (gob encoding) is not supported by this server; connect with sdkType=js');
  }
  if (sdkType !== 'js') throw connArgs('sdkType is not go or js');
  const headerCompression = headers['compression'];
  const compression = q.get('compression') === 'gzip' || headerCompression === 'gzip';
  return {
    userID,
    token,
    platformID,
    operationID,
    isBackground,
    isMsgResp: wantsMsgResp(q),
    compression,
    sdkVersion: q.get('sdkVersion') ?? '',
  };
}
