// What the gateway reads about a session's child process from outside, in /proc (Linux). All of
// it answers while the child spins or is out of file descriptors, which is why the limits and
// the stuck-loop watchdog read here instead of asking the child. Every reader returns null when
// the file is gone (the child exited) or /proc does not exist.

import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const HAS_PROCFS = existsSync('/proc/self/status');

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Resident set size, bytes (VmRSS: heap, Buffers, native allocations, code). */
export function rssBytes(pid: number): number | null {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : null;
}

/** Open file descriptors (sockets, pipes, files). */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Nanoseconds the process's main thread has run on a CPU (schedstat's first field). The main
 * thread is where the core's event loop runs; V8's GC helper threads are not counted, so this is
 * a process's analogue of a worker's event-loop utilisation.
 */
export function mainThreadCpuNs(pid: number): number | null {
  const text = read(`/proc/${pid}/schedstat`);
  if (!text) return null;
  const n = Number(text.split(' ')[0]);
  return Number.isFinite(n) ? n : null;
}

/** A soft resource limit from /proc/<pid>/limits ('Max open files', 'Max cpu time', ...). */
export function softLimit(pid: number | 'self', name: string): number | 'unlimited' | null {
  const line = (read(`/proc/${pid}/limits`) ?? '').split('\n').find((l) => l.startsWith(name));
  const soft = line?.slice(name.length).trim().split(/\s+/)[0];
  if (soft === undefined) return null;
  return soft === 'unlimited' ? 'unlimited' : Number(soft);
}

/** Busy share of the main thread between calls, 0..1 (null before /proc answers). */
export function cpuBusySampler(pid: number): () => number | null {
  let prevNs = mainThreadCpuNs(pid);
  let prevAt = process.hrtime.bigint();
  return () => {
    const ns = mainThreadCpuNs(pid);
    const at = process.hrtime.bigint();
    const wall = Number(at - prevAt);
    const busy = ns !== null && prevNs !== null && wall > 0 ? Math.min(1, (ns - prevNs) / wall) : null;
    prevNs = ns;
    prevAt = at;
    return busy;
  };
}
