// A child process under test (the `sdkgate` command, an installed package's bin, a program):
// its output kept in memory, its exit as a promise, and every one left running killed after
// the test (killAll).

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { dirname } from 'node:path';
import { until } from './client.ts';

export interface Proc {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code, or the signal name when a signal ended it. */
  readonly exited: Promise<number | string | null>;
}

const live = new Set<Proc>();

/** PATH with the running node first, so a child's `node`, `npm` and `npx` are the same Node. */
export function nodePath(): string {
  return `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
}

export function startProcess(cmd: string, args: readonly string[], options: SpawnOptions = {}): Proc {
  const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options, env: { PATH: nodePath(), HOME: process.env.HOME ?? '', ...options.env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const p: Proc = { child, stdout: () => out, stderr: () => err, exited };
  live.add(p);
  void exited.then(() => live.delete(p));
  return p;
}

/** Resolves with the first match of `re` on stdout; rejects if the process exits first. */
export function waitForOutput(p: Proc, re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const { child } = p;
  let stop = (): void => {};
  return until(
    new Promise<RegExpExecArray>((resolve, reject) => {
      // Runs after startProcess's own 'data' listener, so p.stdout() already holds the chunk.
      const check = (): void => {
        const m = re.exec(p.stdout());
        if (m) resolve(m);
        else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`exited ${child.exitCode ?? child.signalCode}: ${p.stderr()}`));
      };
      child.stdout!.on('data', check);
      child.once('exit', check);
      stop = () => {
        child.stdout!.off('data', check);
        child.off('exit', check);
      };
      check();
    }).finally(() => stop()),
    ms,
    `${re} on stdout`,
  );
}

/** Is this pid still running? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL every process still running (afterEach); a detached one with its whole group. */
export function killAll(): void {
  for (const p of live) {
    const pid = p.child.pid;
    if (pid === undefined || p.child.exitCode !== null) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      p.child.kill('SIGKILL');
    }
  }
  live.clear();
}
