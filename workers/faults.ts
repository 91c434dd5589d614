// Fault injection for crash-isolation tests (`--fault-injection`). Each kind fails the worker the
// way a real core bug would, and each must end in exactly one exit classification on the main
// side (src/supervisor/worker-host.ts, process-host.ts). The native kinds (abort, segfault,
// sigkill, fd-exhaustion) end or starve the whole process: the supervisor only sends them to a
// session in its own process (src/supervisor/faults.ts).

import { openSync } from 'node:fs';
import { CPU_BURN_MS, type FaultKind } from '../src/protocol.ts';
/** One busy slice of cpu-burn; between slices the event loop turns, so pings and calls are answered. */
const BURN_SLICE_MS = 20;

/** Keeps the oom fault's garbage reachable. A linked list of small arrays, never one big array. */
interface Chunk {
  readonly next: Chunk | null;
  readonly items: unknown[];
}
let hoard: Chunk | null = null;
/** The fd-exhaustion fault's descriptors, kept open. */
const held: number[] = [];

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
    case 'abort':
      // SIGABRT, as a failed assertion in native code would: 'native_crash'.
      setImmediate(() => process.abort());
      return;
    case 'segfault':
      // A real SIGSEGV delivered to the process: 'native_crash'.
      setImmediate(() => process.kill(process.pid, 'SIGSEGV'));
      return;
    case 'sigkill':
      // As the kernel's OOM killer or an operator would: 'killed'.
      setImmediate(() => process.kill(process.pid, 'SIGKILL'));
      return;
    case 'fd-exhaustion':
      // Open files until the table is full (EMFILE) and keep them: 'fd_limit'.
      setImmediate(() => {
        for (;;) {
          try {
            held.push(openSync('/dev/null', 'r'));
          } catch {
            return;
          }
        }
      });
      return;
    case 'cpu-burn':
      burn(Date.now() + CPU_BURN_MS);
      return;
  }
}

/** Busy, not stuck: slices of pure CPU with a turn of the event loop between them. */
function burn(until: number): void {
  const end = Math.min(until, Date.now() + BURN_SLICE_MS);
  let x = 0;
  while (Date.now() < end) x = (x * 31 + 7) % 1_000_003;
  if (Date.now() < until) setImmediate(() => burn(until));
}

function allocate(): void {
  for (let i = 0; i < 50; i++) {
    const items: unknown[] = [];
    for (let j = 0; j < 1000; j++) items.push({ i, j, s: `x${j}` });
    hoard = { next: hoard, items };
  }
  setImmediate(allocate);
}
