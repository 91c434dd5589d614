// Run in a child process by restarts.test.ts, with or without NODE_OPTIONS=--max-old-space-size:
// the flag is process-wide (a Worker's execArgv refuses it), so only a child can prove the check.
// Prints one JSON line: the login outcome, the exit reasons logged, and the reported heap limit.
// argv[2] is the isolation (thread by default).

import { fakeClient } from '../helpers/clients.ts';
import { makeSupervisor } from './harness.ts';

const h = makeSupervisor({ sessionHeapMb: 32, watchdogMs: 250, isolation: process.argv[2] === 'process' ? 'process' : 'thread' });
const c = fakeClient('heap');
let outcome: Record<string, unknown>;
try {
  await h.supervisor.login(c, 'op');
  await new Promise((r) => setTimeout(r, 300)); // the first watchdog tick pings: its pong carries the heap
  outcome = { ok: true, heapLimit: h.supervisor.get('heap', 5)?.heapLimit };
} catch (e) {
  const g = e as { errorName?: string; code?: number; detail?: unknown };
  outcome = { ok: false, name: g.errorName, code: g.code, detail: g.detail };
}
await h.dispose();
const exits = h.logs.filter((l) => l.includes('session worker exited')).map((l) => JSON.parse(l).reason as string);
process.stdout.write(JSON.stringify({ ...outcome, exits }) + '\n');
