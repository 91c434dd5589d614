// Messages between startImServer (index.ts) and its worker (worker.ts).

import type { RequestLogEntry } from './request-log.ts';

export type ToWorker = { type: 'close' } | { type: 'requestLog'; id: number };

export type FromWorker =
  | { type: 'ready'; apiPort: number; wsPort: number; host: string }
  | { type: 'failed'; error: string }
  | { type: 'closed'; error?: string }
  | { type: 'requestLog'; id: number; entries: RequestLogEntry[] | undefined };
