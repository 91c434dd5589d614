// A session ends one of two ways (src/supervisor/lifecycle.ts): close() refuses new calls and
// lets the accepted ones finish before it closes the core; destroy() rejects them now. And every
// state but `ready` answers a call with a typed refusal (src/supervisor/session-state.ts).

import { afterAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { decoded } from '../../src/rpc/encoded.ts';
import { readLimits } from '../../src/supervisor/limits.ts';
import { loginStatusOf, refusalOf, stateOf, type Life } from '../../src/supervisor/session-state.ts';
import { Session } from '../../src/supervisor/session.ts';
import { sessionSpec, spawnHost } from '../../src/supervisor/spawn.ts';
import { fakeClient } from '../helpers/clients.ts';
import { disposeAll, ECHO_CORE, makeSupervisor, settle, until } from './harness.ts';

afterAll(disposeAll);

/** A Session on its own, with the harness's options, log and OS probe. */
function newSession(userID: string): Session {
  const h = makeSupervisor();
  const limits = readLimits(h.options).defaults;
  return new Session(
    {
      userID,
      platformID: 5,
      sessionId: `t-${userID}`,
      options: h.options,
      limits,
      spec: sessionSpec(h.options, ECHO_CORE, limits),
      log: h.log.child({ userID }),
      metrics: createMetrics(),
      spawn: (spec, log) => spawnHost(spec, log, { osEnv: h.supervisor.osEnv }),
      onStopped: () => {},
      onSignedOut: () => {},
      onTokenAdopted: () => {},
      stillAccepted: async () => false,
    },
    `tok-${userID}-secret`,
  );
}

describe('Session#close and #destroy', () => {
  it('close() refuses new calls, lets an accepted call finish, then stops', async () => {
    const session = newSession('close-me');
    const c = fakeClient('close-me');
    await session.login(c, c.principal.token);
    const running = settle(session.call(c, 'Sleep', [300], 'op-1').then(decoded));
    await until(() => session.info().inFlight === 1, 5_000, 'the call in flight');
    const closing = session.close('admin');
    expect(session.closing).toBe(true);
    const late = await settle(session.call(c, 'Echo', ['late'], 'op-2'));
    expect(!late.ok && late.error.errorName).toBe('GW_SESSION_STOPPED');
    const r = await running;
    expect(r.ok && r.value).toBe(300);
    await closing;
    expect(session.state).toBe('stopped');
    expect(session.info().lastExit?.reason).toBe('normal');
  });

  it('destroy() rejects the accepted call at once and stops; a later Login is refused', async () => {
    const session = newSession('destroy-me');
    const c = fakeClient('destroy-me');
    await session.login(c, c.principal.token);
    const running = settle(session.call(c, 'Sleep', [20_000], 'op-1'));
    await until(() => session.info().inFlight === 1, 5_000, 'the call in flight');
    const t0 = Date.now();
    await session.destroy('admin');
    const r = await running;
    expect(!r.ok && isGatewayError(r.error, 'GW_SESSION_STOPPED')).toBe(true);
    expect(r.at - t0).toBeLessThan(5_000); // not the call's 20 s: a hang bound
    expect(session.state).toBe('stopped');
    const again = await settle(session.login(fakeClient('destroy-me'), 'tok-destroy-me-secret'));
    expect(!again.ok && again.error.errorName).toBe('GW_SESSION_STOPPED');
  });

  it('close() is idempotent: a second close or destroy waits for the same stop', async () => {
    const session = newSession('twice');
    const c = fakeClient('twice');
    await session.login(c, c.principal.token);
    const first = session.close('logout');
    const second = session.destroy('admin');
    await Promise.all([first, second]);
    expect(session.state).toBe('stopped');
  });
});

describe('leaving a state ends what it owns', () => {
  it('a session closed during its restart backoff never launches again (the backoff timer ends with the state)', async () => {
    const h = makeSupervisor({ restartBackoffMs: 400, restartBackoffMaxMs: 400 });
    const c = fakeClient('no-relaunch');
    await h.supervisor.login(c, 'op');
    h.supervisor.fault('no-relaunch', 5, 'throw');
    await until(() => h.supervisor.get('no-relaunch', 5)?.state === 'backoff', 5_000, 'backoff');
    await h.supervisor.logout(c, 'op');
    expect(h.supervisor.get('no-relaunch', 5)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 800)); // past the longest backoff (400 ms)
    const ready = h.logs.filter((l) => l.includes('"userID":"no-relaunch"') && l.includes('"msg":"session ready"'));
    expect(ready).toHaveLength(1);
    expect(h.supervisor.get('no-relaunch', 5)).toBeUndefined();
  });
});

describe('session states', () => {
  const timer = setTimeout(() => {}, 0);
  const lives: Life[] = [
    { kind: 'new' },
    { kind: 'starting', launch: Promise.resolve() },
    { kind: 'restarting', launch: Promise.resolve() },
    { kind: 'ready' },
    { kind: 'draining', why: 'restart' },
    { kind: 'draining', why: 'signed_out' },
    { kind: 'stopping', why: 'drain' },
    { kind: 'stopping', why: 'moved' },
    { kind: 'crashed' },
    { kind: 'backoff', timer, restartAt: Date.now() + 600_000 },
    { kind: 'quarantined' },
    { kind: 'stopped', why: 'logout' },
  ];
  const history = { restarts: 3, lastExit: { reason: 'exception' as const, detail: 'x', at: 0 } };

  it('answers every call but in `ready` with a typed refusal', () => {
    const seen = lives.map((l) => [l.kind, 'why' in l ? l.why : '', refusalOf(l, history)?.errorName ?? null]);
    expect(seen).toEqual([
      ['new', '', 'GW_NOT_LOGGED_IN'],
      ['starting', '', 'GW_NOT_LOGGED_IN'],
      ['restarting', '', 'GW_SESSION_RESTARTING'],
      ['ready', '', null],
      ['draining', 'restart', 'GW_SESSION_RESTARTING'],
      ['draining', 'signed_out', 'GW_SESSION_STOPPED'],
      ['stopping', 'drain', 'GW_DRAINING'],
      ['stopping', 'moved', 'GW_SESSION_MOVED'],
      ['crashed', '', 'GW_SESSION_RESTARTING'],
      ['backoff', '', 'GW_SESSION_RESTARTING'],
      ['quarantined', '', 'GW_SESSION_QUARANTINED'],
      ['stopped', 'logout', 'GW_NOT_LOGGED_IN'],
    ]);
    const backoff = refusalOf(lives[9]!, history)!;
    expect(backoff.detail?.restartInMs).toBeGreaterThan(0);
    expect(refusalOf({ kind: 'quarantined' }, history)!.detail).toEqual({ reason: 'exception', restarts: 3 });
  });

  it('shows the admin API the states it always had, and the client its LoginStatus', () => {
    expect(lives.map(stateOf)).toEqual(['starting', 'starting', 'restarting', 'ready', 'draining', 'draining', 'draining', 'draining', 'crashed', 'backoff', 'quarantined', 'stopped']);
    expect(lives.map(loginStatusOf)).toEqual([2, 2, 2, 3, 2, 1, 1, 1, 2, 2, 1, 1]);
  });
});
