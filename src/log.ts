// One root pino logger. Children carry fixed keys only (userID, platformID, sessionId, ...).
// Tokens and Login arguments are redacted by path here, and are also never passed to a logger
// in the first place; test/log.test.ts greps captured output for a live token.

import { pino, type Logger, type DestinationStream } from 'pino';

export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'headers.authorization',
  'req.headers.authorization',
  'headers.token',
  'query.token',
  'args',
  '*.args',
  'data',
  '*.data',
  'url',
  '*.url',
  'adminToken',
  '*.adminToken',
];

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/** Strip the query string from a URL before logging it (the token travels in the query). */
export function safeUrl(raw: string | undefined): string {
  if (!raw) return '';
  const i = raw.indexOf('?');
  return i < 0 ? raw : raw.slice(0, i) + '?[redacted]';
}
