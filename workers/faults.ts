// Fault injection for crash-isolation tests (`--fault-injection`). Each kind fails the worker the
// way a real core bug would, and each must end in exactly one exit classification on the main
// side (src/supervisor/worker-host.ts).

import type { FaultKind } from '../src/protocol.ts';

/** Keeps the oom fault's garbage reachable. A linked list of small arrays, never one big array. */
interface Chunk {
  readonly next: Chunk | null;
  readonly items: unknown[];
}
let hoard: Chunk | null = null;

export function injectFault(kind: FaultKind): void {
  switch (kind) {
    case 'throw':
      // Uncaught exception -> worker 'error' -> reason 'exception'.
      setImmediate(() => {
        throw new Error('fault injection: throw');
      });
      return;
    case 'reject':
      // Unhandled rejection -> the entry's 'unhandledRejection' handler rethrows it named
      // UnhandledRejection -> reason 'unhandled_rejection'.
      void Promise.reject(new Error('fault injection: reject'));
      return;
    case 'exit':
      setImmediate(() => process.exit(13));
      return;
    case 'loop':
      // A busy loop: no pongs, ELU 1.0 -> the main-thread watchdog terminates -> 'watchdog'.
      setImmediate(() => {
        for (;;) {
          /* spin */
        }
      });
      return;
    case 'oom':
      // Many small objects in many small arrays. One huge array (new Array(1e8), or push()ing
      // onto one array forever) makes V8 abort the WHOLE PROCESS instead of raising
      // ERR_WORKER_OUT_OF_MEMORY (nodejs/node#47224), so never allocate that way.
      // Yielding between chunks lets pings be answered (with the heap figure), so the soft heap
      // watchdog may act first.
      allocate();
      return;
  }
}

function allocate(): void {
  for (let i = 0; i < 50; i++) {
    const items: unknown[] = [];
    for (let j = 0; j < 1000; j++) items.push({ i, j, s: `x${j}` });
    hoard = { next: hoard, items };
  }
  setImmediate(allocate);
}
