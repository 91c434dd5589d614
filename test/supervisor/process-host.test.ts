// What only a session process has to get right (src/supervisor/process-host.ts): its heap limit
// on the command line, no orphan when the gateway dies, and the channel's serialization rules.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

/** Gone, or a zombie nobody has reaped yet: either way it runs no more code. */
function dead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

describe('a session process', () => {
  it('gets the heap limit asked for even with --max-old-space-size in NODE_OPTIONS (the command line wins)', () => {
    const child = fileURLToPath(new URL('./heap-override.child.ts', import.meta.url));
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=1000`.trim() };
    const r = spawnSync(process.execPath, [child, 'process'], { env, encoding: 'utf8', timeout: 30_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
    expect(out.ok, r.stderr).toBe(true);
    expect(out.heapLimit / 1024 / 1024).toBeGreaterThanOrEqual(32);
    expect(out.heapLimit / 1024 / 1024).toBeLessThan(64);
    expect(out.exits).toEqual(['normal']);
  });

  it('does not outlive a gateway killed with SIGKILL, idle or spinning in a loop', async () => {
    const file = fileURLToPath(new URL('./orphan.child.ts', import.meta.url));
    const gw = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      gw.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      gw.once('exit', (code) => reject(new Error(`the gateway child exited (${code}) before it printed`)));
    });
    const pids = JSON.parse(line) as { idle: number; stuck: number };
    expect(dead(pids.idle) || dead(pids.stuck)).toBe(false);
    gw.kill('SIGKILL');
    // The idle one reads the IPC disconnect; the spinning one never would: PR_SET_PDEATHSIG.
    await expect.poll(() => dead(pids.idle) && dead(pids.stuck), { timeout: 10_000, message: 'both session processes gone' }).toBe(true);
  });

  it('fails a Login whose session process dies of a signal during the core Login (init_failed), and starts afresh on the next', async () => {
    const { supervisor } = makeSupervisor({ isolation: 'process' });
    // 'slow:' makes the fixture core's Login take 300 ms.
    const first = settle(supervisor.login(fakeClient('sig-login', 5, 'slow:tok'), 'op'));
    await expect.poll(() => (supervisor.get('sig-login', 5)?.pid ?? null) !== null, { timeout: 10_000, message: 'a session process' }).toBe(true);
    const pid = supervisor.get('sig-login', 5)!.pid!;
    expect(supervisor.get('sig-login', 5)!.state).toBe('starting');
    process.kill(pid, 'SIGSEGV');
    const r = await first;
    expect(!r.ok && r.error).toMatchObject({ errorName: 'GW_INTERNAL', detail: { reason: 'init_failed' } });
    await expect.poll(() => supervisor.get('sig-login', 5) === undefined, { timeout: 5_000, message: 'the failed session gone' }).toBe(true);
    await new Promise((res) => setTimeout(res, 150)); // the start cooldown
    const again = fakeClient('sig-login');
    await supervisor.login(again, 'op');
    expect(supervisor.get('sig-login', 5)!.pid).not.toBe(pid);
    expect(await supervisor.call(again, 'Echo', [1], 'op')).toEqual([1]);
  });

  it('refuses an argument the channel cannot clone with GW_BAD_ARGUMENTS, as a MessagePort would, and keeps serving', async () => {
    const { supervisor } = makeSupervisor({ isolation: 'process' });
    const a = fakeClient('clone');
    await supervisor.login(a, 'op');
    const r = await settle(supervisor.call(a, 'Echo', [() => 1], 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_BAD_ARGUMENTS');
    expect(await supervisor.call(a, 'Echo', [new Map([[1, 2]])], 'op')).toEqual([{}]);
    expect(supervisor.get('clone', 5)!.restarts).toBe(0);
  });
});
