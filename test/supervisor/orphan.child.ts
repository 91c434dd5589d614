// Run in a child process by process-host.test.ts, which SIGKILLs it: a gateway's supervisor with
// two session processes, one idle and one spinning in a busy loop (the watchdog is off, so it
// spins on), then it prints their pids as one JSON line and waits to be killed.

import { fakeClient } from '../helpers/clients.ts';
import { makeSupervisor } from './harness.ts';

const h = makeSupervisor({ isolation: 'process', watchdogMs: 600_000, callTimeoutMs: 600_000 });
const idle = fakeClient('orphan-idle');
const stuck = fakeClient('orphan-stuck');
await Promise.all([h.supervisor.login(idle, 'op'), h.supervisor.login(stuck, 'op')]);
h.supervisor.fault('orphan-stuck', 5, 'loop');
await new Promise((r) => setTimeout(r, 200));
process.stdout.write(JSON.stringify({ idle: h.supervisor.get('orphan-idle', 5)!.pid, stuck: h.supervisor.get('orphan-stuck', 5)!.pid }) + '\n');
setInterval(() => {}, 1000);
