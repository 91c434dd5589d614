// Per-session OS limits for process isolation, and which mechanism enforces each on this host.
// Node cannot set resource limits on a child itself, so a session process is started by a tiny
// POSIX sh launcher (`ulimit`, then `exec`; +2.5 ms measured) only when it has limits to set:
//
//   memory     the V8 heap limit (--max-old-space-size, as for threads) plus an RSS cap the
//              gateway polls from /proc every RSS_POLL_MS and enforces with SIGKILL
//              ('memory_limit'). Not RLIMIT_AS: it caps reservations, not use (Node reserves
//              1.27 GB of address space at start with 42 MB resident, a WebAssembly memory ~10 GB),
//              so it either sits far above the real limit or breaks legitimate code, and what it
//              produces is a V8 abort or a RangeError in some unrelated call, not a classified stop.
//              The price of polling: a core that zero-fills Buffers as fast as it can (2.2 GB/s
//              measured here) overshoots by up to that rate × the poll interval before it is killed.
//   CPU        a quota: cgroup v2 cpu.max (or the v1 cpu controller's cfs quota) when the gateway
//              can create cgroups with the cpu controller under its own (or --cgroup-dir); the
//              launcher joins the session's cgroup before it execs Node. Otherwise the session
//              runs at nice SESSION_NICE (a share relative to the gateway, not a quota). Either
//              way RLIMIT_CPU (--session-cpu-seconds) ends a runaway: SIGXCPU -> 'cpu_limit'.
//   open files RLIMIT_NOFILE; the gateway polls the child's open fds from /proc and stops a
//              session that has exhausted them ('fd_limit') instead of leaving it to fail every
//              call that needs a socket or a file.
//   orphans    the child exits when its IPC channel disconnects (the gateway died), and, where
//              util-linux's setpriv exists, gets SIGKILL from the kernel when the gateway dies
//              (PR_SET_PDEATHSIG): a child spinning in a loop never reads the disconnect.

import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_PROCFS, softLimit } from './proc-stats.ts';

export interface OsLimits {
  /** RSS cap, MB; 0 = none. */
  readonly rssMb: number;
  /** CPU quota in percent of one CPU; 0 = none. */
  readonly cpuPercent: number;
  /** RLIMIT_CPU, CPU seconds per session process; 0 = none. */
  readonly cpuSeconds: number;
  /** RLIMIT_NOFILE; 0 = inherit the gateway's. */
  readonly openFiles: number;
}

export const NO_OS_LIMITS: OsLimits = Object.freeze({ rssMb: 0, cpuPercent: 0, cpuSeconds: 0, openFiles: 0 });

type CpuControl =
  | { readonly kind: 'cgroup2' | 'cgroup1'; readonly dir: string }
  | { readonly kind: 'nice'; readonly why: string };

export interface OsEnv {
  readonly procfs: boolean;
  readonly cpu: CpuControl;
  /** util-linux setpriv, for PR_SET_PDEATHSIG; null when missing. */
  readonly setpriv: string | null;
  /** The gateway's soft RLIMIT_NOFILE: what a session without its own limit inherits. */
  readonly openFilesInherited: number | null;
  /** One line per limit, for the startup log and GET /admin/chaos. */
  readonly mechanisms: { readonly memory: string; readonly cpu: string; readonly openFiles: string; readonly orphans: string };
}

export const SESSION_NICE = 10;
export const RSS_POLL_MS = 100;
/** Open fds are counted every this many RSS polls (a readdir, dearer than one status read). */
export const FD_POLL_EVERY = 5;
const CPU_PERIOD_US = 100_000;
/** RLIMIT_CPU's hard limit sits above the soft one, so the kernel sends SIGXCPU, not SIGKILL. */
const CPU_HARD_GRACE_S = 2;
/** Exit status of the launcher when a limit cannot be set (classified init_failed). */
export const LAUNCHER_FAILED = 125;

function which(names: readonly string[]): string | null {
  return names.find((p) => existsSync(p)) ?? null;
}

interface Mount {
  readonly point: string;
  readonly fstype: string;
  readonly superOptions: readonly string[];
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of safeRead('/proc/self/mountinfo').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = left.split(' ')[4];
    const [fstype, , opts] = right.split(' ');
    if (point && fstype) out.push({ point: point.replace(/\\040/g, ' '), fstype, superOptions: (opts ?? '').split(',') });
  }
  return out;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** This process's cgroup path for a hierarchy: '0' for v2, else the line naming `controller`. */
function ownCgroup(controller: string | null): string | null {
  for (const line of safeRead('/proc/self/cgroup').split('\n')) {
    const [hier, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (controller === null ? hier === '0' : (ctrls ?? '').split(',').includes(controller)) return path;
  }
  return null;
}

const CGROUP_MAGIC = new Set([0x63677270 /* cgroup2 */, 0x27e0eb /* cgroup v1 */]);

/** Remove a cgroup directory. cgroupfs only takes rmdir; a test's stand-in dir needs rm -r. */
export function removeCgroupDir(dir: string): boolean {
  try {
    if (!CGROUP_MAGIC.has(statfsSync(dir).type)) {
      rmSync(dir, { recursive: true, force: true });
      return true;
    }
    rmdirSync(dir);
    return true;
  } catch (e) {
    // EBUSY: the process is not reaped yet; the caller retries.
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function writeQuota(kind: 'cgroup2' | 'cgroup1', dir: string, percent: number | null): void {
  const quota = percent === null ? null : Math.max(1000, Math.round((percent / 100) * CPU_PERIOD_US));
  if (kind === 'cgroup2') {
    writeFileSync(join(dir, 'cpu.max'), `${quota ?? 'max'} ${CPU_PERIOD_US}`);
  } else {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota ?? -1));
  }
}

/**
 * Make `<parent>/sdkgate-<pid>` a cgroup whose children can be given a CPU quota, and prove it
 * by creating and removing one. Throws with the reason when this host does not allow it.
 */
function prepareCgroup(kind: 'cgroup2' | 'cgroup1', parent: string): string {
  if (kind === 'cgroup2') {
    const controllers = safeRead(join(parent, 'cgroup.controllers')).split(/\s+/);
    if (!controllers.includes('cpu')) throw new Error(`the cpu controller is not available in ${parent} (cgroup.controllers: ${controllers.join(' ').trim() || 'none'})`);
    if (!safeRead(join(parent, 'cgroup.subtree_control')).split(/\s+/).includes('cpu')) {
      writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
    }
  }
  const dir = join(parent, `sdkgate-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    if (kind === 'cgroup2') writeFileSync(join(dir, 'cgroup.subtree_control'), '+cpu');
    const probe = join(dir, 'probe');
    mkdirSync(probe);
    try {
      writeQuota(kind, probe, 50);
    } finally {
      removeCgroupDir(probe);
    }
  } catch (e) {
    removeCgroupDir(dir);
    throw e;
  }
  return dir;
}

function probeCpu(cgroupDir: string): CpuControl {
  const why: string[] = [];
  const attempt = (kind: 'cgroup2' | 'cgroup1', parent: string | null, what: string): CpuControl | null => {
    if (!parent) return null;
    try {
      return { kind, dir: prepareCgroup(kind, parent) };
    } catch (e) {
      why.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };
  if (cgroupDir) {
    const kind = existsSync(join(cgroupDir, 'cgroup.controllers')) ? 'cgroup2' : 'cgroup1';
    return attempt(kind, cgroupDir, `--cgroup-dir ${cgroupDir}`) ?? { kind: 'nice', why: why.join('; ') };
  }
  const all = mounts();
  const v2 = all.find((m) => m.fstype === 'cgroup2');
  const v2Path = ownCgroup(null);
  const v1 = all.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('cpu'));
  const v1Path = ownCgroup('cpu');
  const found =
    attempt('cgroup2', v2 && v2Path !== null ? join(v2.point, v2Path) : null, 'cgroup v2') ??
    attempt('cgroup1', v1 && v1Path !== null ? join(v1.point, v1Path) : null, 'cgroup v1 cpu');
  if (found) return found;
  if (!v2 && !v1) why.push('no cgroup filesystem mounted');
  return { kind: 'nice', why: why.join('; ') };
}

let cached: { key: string; env: OsEnv; users: number } | null = null;

/**
 * What this host can enforce. Probed once per process while in use (the cgroup probe creates a
 * directory, which releaseOsEnv() removes after its last user); `wantQuota` false skips the
 * cgroup probe entirely (no session has a CPU quota).
 */
export function probeOsEnv(options: { readonly wantQuota: boolean; readonly cgroupDir: string }): OsEnv {
  const key = `${options.wantQuota}|${options.cgroupDir}`;
  if (cached?.key === key) {
    cached.users++;
    return cached.env;
  }
  const cpu: CpuControl = options.wantQuota ? probeCpu(options.cgroupDir) : { kind: 'nice', why: 'no CPU quota configured' };
  const setpriv = which(['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv']);
  const inherited = HAS_PROCFS ? softLimit('self', 'Max open files') : null;
  const env: OsEnv = {
    procfs: HAS_PROCFS,
    cpu,
    setpriv,
    openFilesInherited: typeof inherited === 'number' ? inherited : null,
    mechanisms: {
      memory: HAS_PROCFS
        ? `V8 heap limit (--max-old-space-size) + RSS cap polled from /proc every ${RSS_POLL_MS} ms, SIGKILL (memory_limit)`
        : 'V8 heap limit only (no /proc: no RSS cap)',
      cpu:
        cpu.kind === 'nice'
          ? `nice ${SESSION_NICE} for sessions with a CPU quota (no quota possible: ${cpu.why}); RLIMIT_CPU (SIGXCPU, cpu_limit)`
          : `${cpu.kind === 'cgroup2' ? 'cgroup v2 cpu.max' : 'cgroup v1 cpu.cfs_quota_us'} under ${cpu.dir}; RLIMIT_CPU (SIGXCPU, cpu_limit)`,
      openFiles: HAS_PROCFS ? `RLIMIT_NOFILE; open fds polled from /proc every ${RSS_POLL_MS * FD_POLL_EVERY} ms (fd_limit)` : 'RLIMIT_NOFILE only (no /proc: exhaustion is not detected)',
      orphans: setpriv ? 'IPC disconnect, and PR_SET_PDEATHSIG via setpriv' : 'IPC disconnect only (no setpriv: a child stuck in a loop outlives a killed gateway)',
    },
  };
  // A different probe (tests) replaces the cached one; the old one's users still release it.
  cached = { key, env, users: 1 };
  return env;
}

/** The per-gateway cgroup goes when its last user drains (each session's goes with its process). */
export function releaseOsEnv(env: OsEnv): void {
  if (cached?.env === env && --cached.users > 0) return;
  if (cached?.env === env) cached = null;
  if (env.cpu.kind !== 'nice') removeCgroupDir(env.cpu.dir);
}

/** A cgroup for one session process with its CPU quota, or null (no quota, or none possible). */
export function sessionCgroup(env: OsEnv, limits: OsLimits, name: string): string | null {
  if (limits.cpuPercent <= 0 || env.cpu.kind === 'nice') return null;
  const dir = join(env.cpu.dir, name);
  mkdirSync(dir);
  try {
    writeQuota(env.cpu.kind, dir, limits.cpuPercent);
  } catch (e) {
    removeCgroupDir(dir);
    throw e;
  }
  return dir;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that starts a session process: Node directly, through setpriv for the parent-death
 * signal, and through `sh -c` when there are limits to set first. A limit the launcher cannot set
 * ends it with LAUNCHER_FAILED and the shell's message on stderr.
 */
export function launchCommand(node: string, args: readonly string[], limits: OsLimits, env: OsEnv, cgroup: string | null): { file: string; args: string[] } {
  const steps: string[] = [];
  if (cgroup) steps.push(`echo $$ > ${shellQuote(join(cgroup, 'cgroup.procs'))}`);
  if (limits.openFiles > 0) steps.push(`ulimit -n ${limits.openFiles}`);
  // Soft first: a hard limit below the current (unlimited) soft one is refused.
  if (limits.cpuSeconds > 0) steps.push(`ulimit -S -t ${limits.cpuSeconds}`, `ulimit -H -t ${limits.cpuSeconds + CPU_HARD_GRACE_S}`);
  const direct = env.setpriv ? [env.setpriv, '--pdeathsig', 'KILL', '--', node, ...args] : [node, ...args];
  if (steps.length === 0) return { file: direct[0]!, args: direct.slice(1) };
  const exec = env.setpriv ? `exec ${shellQuote(env.setpriv)} --pdeathsig KILL -- "$@"` : 'exec "$@"';
  const script = `${steps.map((s) => `${s} || exit ${LAUNCHER_FAILED}`).join('; ')}; ${exec}`;
  return { file: '/bin/sh', args: ['-c', script, 'sdkgate-session', node, ...args] };
}
