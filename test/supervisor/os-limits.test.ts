// Per-user OS limits on session processes (src/supervisor/os-limits.ts): each limit stops (or,
// for a CPU quota, throttles) the session that exceeds it, classifies the exit, and leaves a
// neighbour's calls, process and limits alone. The CPU quota test checks whichever mechanism this
// host allows (the probe says which at start), never skips.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';
import { LAUNCHER_FAILED, launchCommand, NO_OS_LIMITS, probeOsEnv, SESSION_NICE } from '../../src/supervisor/os-limits.ts';
import { mainThreadCpuNs, softLimit } from '../../src/supervisor/proc-stats.ts';
import { fakeClient, type FakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle, type Harness } from './harness.ts';

const tmpDirs: string[] = [];
afterAll(async () => {
  await disposeAll();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

type Sup = Harness['supervisor'];

/** B calls Echo every 10 ms while `episode` runs; returns B's outcomes. */
async function neighbourDuring(supervisor: Sup, b: FakeClient, episode: () => Promise<void>): Promise<Array<{ ok: boolean }>> {
  let stop = false;
  const calls: Array<Promise<{ ok: boolean }>> = [];
  const loop = (async () => {
    while (!stop) {
      const p = settle(supervisor.call(b, 'Echo', ['b'], 'op'));
      calls.push(p);
      await p;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await episode();
  } finally {
    stop = true;
    await loop;
  }
  return Promise.all(calls);
}

async function twoSessions(h: Harness, a: string, b: string): Promise<{ ca: FakeClient; cb: FakeClient; bPid: number }> {
  const ca = fakeClient(a);
  const cb = fakeClient(b);
  await Promise.all([h.supervisor.login(ca, 'op'), h.supervisor.login(cb, 'op')]);
  return { ca, cb, bPid: h.supervisor.get(b, 5)!.pid! };
}

describe('OS limits of a session process', () => {
  it('stops a session over its RSS cap (memory_limit), counting memory outside the V8 heap, and leaves its neighbour alone', async () => {
    const h = makeSupervisor({ isolation: 'process', sessionRssMb: 160, callTimeoutMs: 20_000 });
    const { ca, cb, bPid } = await twoSessions(h, 'rss-a', 'rss-b');
    let hoard: { ok: boolean; error?: any } | undefined;
    const bOut = await neighbourDuring(h.supervisor, cb, async () => {
      // 400 MB of Buffers: the 32 MB heap limit never sees them; the RSS cap does.
      hoard = await settle(h.supervisor.call(ca, 'Hoard', [400], 'op'));
      await expect.poll(() => h.supervisor.get('rss-a', 5)!.state === 'ready', { timeout: 10_000, message: 'A back' }).toBe(true);
    });
    expect(hoard!.ok).toBe(false);
    expect(hoard!.error).toMatchObject({ errorName: 'GW_SESSION_CRASHED', detail: { reason: 'memory_limit' } });
    expect(h.supervisor.get('rss-a', 5)!.lastExit).toMatchObject({ reason: 'memory_limit', detail: expect.stringMatching(/over the 160 MB cap/) });
    expect(bOut.length).toBeGreaterThan(3);
    expect(bOut.every((o) => o.ok)).toBe(true);
    expect(h.supervisor.get('rss-b', 5)).toMatchObject({ pid: bPid, restarts: 0 });
    expect(await h.supervisor.call(ca, 'Echo', [1], 'op')).toEqual([1]);
  });

  it('gives a session process its RLIMIT_NOFILE and stops it when its fd table is exhausted (fd_limit)', async () => {
    const h = makeSupervisor({ isolation: 'process', sessionOpenFiles: 128 });
    const { ca, cb, bPid } = await twoSessions(h, 'fd-a', 'fd-b');
    const aPid = h.supervisor.get('fd-a', 5)!.pid!;
    expect(softLimit(aPid, 'Max open files')).toBe(128);
    const bOut = await neighbourDuring(h.supervisor, cb, async () => {
      expect(h.supervisor.fault('fd-a', 5, 'fd-exhaustion')).toBe(true);
      await expect.poll(() => h.supervisor.get('fd-a', 5)!.restarts === 1 && h.supervisor.get('fd-a', 5)!.state === 'ready', { timeout: 10_000, message: 'A restarted' }).toBe(true);
    });
    expect(h.supervisor.get('fd-a', 5)!.lastExit).toMatchObject({ reason: 'fd_limit', detail: expect.stringMatching(/limit of 128/) });
    expect(bOut.every((o) => o.ok)).toBe(true);
    expect(h.supervisor.get('fd-b', 5)).toMatchObject({ pid: bPid, restarts: 0 });
    expect(await h.supervisor.call(ca, 'Echo', [1], 'op')).toEqual([1]);
  });

  it('ends a runaway at its RLIMIT_CPU with SIGXCPU (cpu_limit) and leaves its neighbour alone', async () => {
    const h = makeSupervisor({ isolation: 'process', sessionCpuSeconds: 1 });
    const { ca, cb, bPid } = await twoSessions(h, 'cpu-a', 'cpu-b');
    expect(softLimit(h.supervisor.get('cpu-a', 5)!.pid!, 'Max cpu time')).toBe(1);
    const bOut = await neighbourDuring(h.supervisor, cb, async () => {
      expect(h.supervisor.fault('cpu-a', 5, 'cpu-burn')).toBe(true);
      // One CPU second of burning, however long the shared machine takes to grant it.
      await expect.poll(() => h.supervisor.get('cpu-a', 5)!.restarts === 1 && h.supervisor.get('cpu-a', 5)!.state === 'ready', { timeout: 20_000, message: 'A restarted' }).toBe(true);
    });
    expect(h.supervisor.get('cpu-a', 5)!.lastExit).toMatchObject({ reason: 'cpu_limit', detail: expect.stringMatching(/SIGXCPU/) });
    expect(bOut.every((o) => o.ok)).toBe(true);
    expect(h.supervisor.get('cpu-b', 5)).toMatchObject({ pid: bPid, restarts: 0 });
    expect(await h.supervisor.call(ca, 'Echo', [1], 'op')).toEqual([1]);
  });

  it('throttles a cpu-burn with the CPU quota mechanism in force (cgroup quota, else nice), without the watchdog killing it', async () => {
    const h = makeSupervisor({ isolation: 'process', sessionCpuPercent: 20, watchdogMs: 500 });
    const { cpu } = h.supervisor.osEnv;
    expect(h.logs.some((l) => l.includes('"process isolation: OS limits"') && l.includes(h.supervisor.osEnv.mechanisms.cpu.slice(0, 20)))).toBe(true);
    const { ca, cb, bPid } = await twoSessions(h, 'quota-a', 'quota-b');
    const aPid = h.supervisor.get('quota-a', 5)!.pid!;
    const bOut = await neighbourDuring(h.supervisor, cb, async () => {
      expect(h.supervisor.fault('quota-a', 5, 'cpu-burn')).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      const ns0 = mainThreadCpuNs(aPid)!;
      const t0 = process.hrtime.bigint();
      await new Promise((r) => setTimeout(r, 2000));
      const share = (mainThreadCpuNs(aPid)! - ns0) / Number(process.hrtime.bigint() - t0);
      if (cpu.kind === 'nice') {
        expect(getPriority(aPid)).toBe(SESSION_NICE);
      } else {
        // 20% of one CPU (cfs enforces per 100 ms period; allow for the period boundaries).
        expect(share).toBeLessThan(0.3);
        const cg = readFileSync(`/proc/${aPid}/cgroup`, 'utf8');
        expect(cg).toMatch(/sdkgate-\d+\/s-/);
      }
      if (process.env.SHOW) console.log(cpu, 'burn share', share.toFixed(3));
    });
    expect(bOut.every((o) => o.ok)).toBe(true);
    expect(h.supervisor.get('quota-a', 5)).toMatchObject({ restarts: 0, state: 'ready', pid: aPid });
    expect(h.supervisor.get('quota-b', 5)).toMatchObject({ pid: bPid, restarts: 0 });
    expect(await h.supervisor.call(ca, 'Echo', [1], 'op')).toEqual([1]);
    expect(getPriority(bPid)).toBe(cpu.kind === 'nice' ? SESSION_NICE : getPriority(process.pid));
  });

  it('writes cpu.max into a cgroup v2 per session process (--cgroup-dir) and removes it after', async () => {
    // A stand-in for a delegated cgroup v2 directory: the files cgroupfs would have.
    const root = tmp('sdkgate-cg2-');
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu\n');
    const h = makeSupervisor({ isolation: 'process', sessionCpuPercent: 50, cgroupDir: root });
    expect(h.supervisor.osEnv.cpu).toEqual({ kind: 'cgroup2', dir: join(root, `sdkgate-${process.pid}`) });
    expect(h.supervisor.osEnv.mechanisms.cpu).toMatch(/^cgroup v2 cpu.max/);
    const a = fakeClient('cg2');
    await h.supervisor.login(a, 'op');
    const pid = h.supervisor.get('cg2', 5)!.pid!;
    const parent = join(root, `sdkgate-${process.pid}`);
    const [dir] = readdirSync(parent).filter((d) => d.startsWith('s-'));
    expect(readFileSync(join(parent, dir!, 'cpu.max'), 'utf8')).toBe('50000 100000');
    // The launcher joined the cgroup before it exec'd Node: the pid it wrote is the session's.
    expect(readFileSync(join(parent, dir!, 'cgroup.procs'), 'utf8').trim()).toBe(String(pid));
    await h.supervisor.logout(a, 'op');
    await expect.poll(() => !existsSync(join(parent, dir!)), { timeout: 5_000, message: 'the session cgroup removed' }).toBe(true);
    await h.dispose();
    expect(existsSync(parent)).toBe(false);
  });

  it('falls back to nice, and says why, when no cgroup with the cpu controller can be made', () => {
    const root = tmp('sdkgate-cg2-nocpu-');
    writeFileSync(join(root, 'cgroup.controllers'), 'pids memory\n');
    const h = makeSupervisor({ isolation: 'process', sessionCpuPercent: 50, cgroupDir: root });
    expect(h.supervisor.osEnv.cpu.kind).toBe('nice');
    expect(h.supervisor.osEnv.mechanisms.cpu).toMatch(/nice 10 .*cpu controller is not available/);
  });
});

describe('the session launcher', () => {
  it('sets the limits before Node starts, and fails with LAUNCHER_FAILED and the reason when it cannot', () => {
    const env = { ...probeOsEnv({ wantQuota: false, cgroupDir: '' }), setpriv: null };
    const limits = { rssMb: 0, cpuPercent: 0, cpuSeconds: 7, openFiles: 99 };
    const ok = launchCommand(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/limits","utf8"))'], limits, env, null);
    const r = spawnSync(ok.file, ok.args, { encoding: 'utf8' });
    expect(r.stdout).toMatch(/Max cpu time\s+7\s+9\s/);
    expect(r.stdout).toMatch(/Max open files\s+99\s+99\s/);
    const bad = launchCommand(process.execPath, ['-e', ''], limits, env, '/nonexistent/sdkgate-cgroup');
    const f = spawnSync(bad.file, bad.args, { encoding: 'utf8' });
    expect(f.status).toBe(LAUNCHER_FAILED);
    expect(f.stderr).toMatch(/nonexistent/);
    // Without limits there is no shell in between.
    expect(launchCommand(process.execPath, ['x'], NO_OS_LIMITS, env, null)).toEqual({ file: process.execPath, args: ['x'] });
  });
});

describe('per-user isolation (--limits-file)', () => {
  it('runs one suspect user in a process with its own limits while everyone else stays in threads', async () => {
    const dir = tmp('sdkgate-limits-');
    const limitsFile = join(dir, 'limits.json');
    writeFileSync(limitsFile, JSON.stringify({ users: { suspect: { isolation: 'process', sessionOpenFiles: 256 } } }));
    const h = makeSupervisor({ isolation: 'thread', limitsFile });
    const suspect = fakeClient('suspect');
    const other = fakeClient('other');
    await Promise.all([h.supervisor.login(suspect, 'op'), h.supervisor.login(other, 'op')]);
    const s = h.supervisor.get('suspect', 5)!;
    const o = h.supervisor.get('other', 5)!;
    expect(s).toMatchObject({ isolation: 'process', threadId: null });
    expect(s.pid).not.toBe(process.pid);
    expect(softLimit(s.pid!, 'Max open files')).toBe(256);
    expect(o).toMatchObject({ isolation: 'thread', pid: process.pid });
    // A native fault is contained for the suspect and refused for the others.
    expect(() => h.supervisor.fault('other', 5, 'segfault')).toThrow(expect.objectContaining({ errorName: 'GW_FAULT_NEEDS_PROCESS' }));
    const bOut = await neighbourDuring(h.supervisor, other, async () => {
      expect(h.supervisor.fault('suspect', 5, 'segfault')).toBe(true);
      await expect.poll(() => h.supervisor.get('suspect', 5)!.restarts === 1 && h.supervisor.get('suspect', 5)!.state === 'ready', { timeout: 10_000, message: 'suspect back' }).toBe(true);
    });
    expect(h.supervisor.get('suspect', 5)!.lastExit?.reason).toBe('native_crash');
    expect(bOut.every((x) => x.ok)).toBe(true);
    expect(await h.supervisor.call(suspect, 'Echo', [1], 'op')).toEqual([1]);
  });

  it('refuses OS limits that no session could get, and a bad isolation in the file', () => {
    const invalid = (argv: string[]): string => {
      try {
        resolveOptions(argv);
      } catch (e) {
        expect(isGatewayError(e, 'GW_OPTIONS_INVALID')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected GW_OPTIONS_INVALID');
    };
    expect(invalid(['--session-rss-mb', '256'])).toMatch(/--session-rss-mb applies to sessions in a process only/);
    expect(invalid(['--session-open-files', '10', '--isolation', 'process'])).toMatch(/--session-open-files/);
    expect(resolveOptions(['--session-rss-mb', '256', '--isolation', 'process']).sessionRssMb).toBe(256);
    const dir = tmp('sdkgate-limits-');
    const limitsFile = join(dir, 'limits.json');
    writeFileSync(limitsFile, JSON.stringify({ users: { u: { isolation: 'none' } } }));
    expect(() => makeSupervisor({ limitsFile })).toThrow(/users\.u\.isolation: expected thread or process/);
  });
});
