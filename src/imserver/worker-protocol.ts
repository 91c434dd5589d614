// Messages between startImServer (index.ts) and its worker (worker.ts).

export type ToWorker = { type: 'close' };

export type FromWorker =
  | { type: 'ready'; apiPort: number; wsPort: number; host: string }
  | { type: 'failed'; error: string }
  | { type: 'closed'; error?: string };
