// Which injected faults each isolation contains. A worker thread is a fault boundary for
// JavaScript only: process.abort(), a SIGSEGV or a SIGKILL end the gateway's whole process with
// every user in it, and an exhausted fd table is the gateway's own. Those kinds are refused for a
// session in a thread (GW_FAULT_NEEDS_PROCESS), never sent. `none` contains nothing
// (options.ts refuses it with --fault-injection).

import { gatewayError } from '../errors.ts';
import type { FaultKind } from '../protocol.ts';
import type { Isolation } from './host.ts';

export const FAULT_KINDS: readonly FaultKind[] = [
  'throw', 'reject', 'exit', 'loop', 'oom', 'abort', 'segfault', 'sigkill', 'fd-exhaustion', 'cpu-burn',
];

/** Only a process contains these. */
export const PROCESS_ONLY_FAULTS: readonly FaultKind[] = ['abort', 'segfault', 'sigkill', 'fd-exhaustion'];

export function isFaultKind(v: unknown): v is FaultKind {
  return typeof v === 'string' && (FAULT_KINDS as readonly string[]).includes(v);
}

export function contains(isolation: Isolation, kind: FaultKind): boolean {
  if (isolation === 'process') return true;
  if (isolation === 'thread') return !PROCESS_ONLY_FAULTS.includes(kind);
  return false;
}

/** The kinds a session in `isolation` can take. */
export function faultsFor(isolation: Isolation): FaultKind[] {
  return FAULT_KINDS.filter((k) => contains(isolation, k));
}

/** Throws GW_FAULT_NEEDS_PROCESS when `isolation` cannot contain `kind`. */
export function assertContained(isolation: Isolation, kind: FaultKind): void {
  if (!contains(isolation, kind)) {
    const where = isolation === 'none' ? "the gateway's own thread" : 'a worker thread';
    throw gatewayError('GW_FAULT_NEEDS_PROCESS', `'${kind}' would take down the gateway's whole process; this session runs in ${where}`, { kind, isolation });
  }
}
