// Preconditions shared by the functions.

import { CodedError, SdkCode } from '../errors.ts';
import type { RestClient } from '../net/rest.ts';
import type { CoreSession } from '../core-session.ts';
import { LoginStatus } from '../types.ts';

/** The REST client of a logged-in session, or 10101 LoginOut. */
export function online(s: CoreSession): RestClient {
  if (s.loginStatus !== LoginStatus.Logged || !s.rest) throw new CodedError(SdkCode.LoginOut, 'not logged in');
  return s.rest;
}
