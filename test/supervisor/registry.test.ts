// The session registry without workers: starts are single-flight per (userID, platformID), a key
// whose session is stopping is reused only after it stopped, and a client maps to its session
// only while the session still holds it.

import { describe, expect, it } from 'vitest';
import { deferred } from '../helpers/deferred.ts';
import { Registry } from '../../src/supervisor/registry.ts';
import type { Session } from '../../src/supervisor/session.ts';
import type { Principal, SessionClient } from '../../src/supervisor/types.ts';

type FakeSession = Pick<Session, 'userID' | 'platformID' | 'closing' | 'stopped' | 'has'> & {
  closing: boolean;
  stop(): void;
  readonly clients: Set<SessionClient>;
};

function fakeSession(p: Principal): FakeSession {
  const stopped = deferred();
  const clients = new Set<SessionClient>();
  return { userID: p.userID, platformID: p.platformID, closing: false, stopped: stopped.promise, stop: () => stopped.resolve(), clients, has: (c) => clients.has(c) };
}

function registry(): { reg: Registry; made: FakeSession[] } {
  const made: FakeSession[] = [];
  const reg = new Registry((p) => {
    const s = fakeSession(p);
    made.push(s);
    return s as unknown as Session; // a fake of the three members the registry reads
  });
  return { reg, made };
}

const alice = (platformID = 5): Principal => ({ userID: 'alice', platformID, token: 't' });
const client = {} as SessionClient;

describe('Registry', () => {
  it('creates one session for concurrent acquires of a key, and one per platform', async () => {
    const { reg, made } = registry();
    const acquires = [reg.acquire(alice()), reg.acquire(alice())];
    const web = reg.get('alice', 5); // while both acquires are still pending
    const [a, b, ios] = await Promise.all([...acquires, reg.acquire(alice(1))]);
    expect(a).toBe(b);
    expect(web).toBe(a);
    expect(ios).not.toBe(a);
    expect(made).toHaveLength(2);
  });

  it('waits for a stopping session to stop before creating the next one for the key', async () => {
    const { reg, made } = registry();
    const first = await reg.acquire(alice());
    made[0]!.closing = true;
    let next: Session | undefined;
    const acquiring = reg.acquire(alice()).then((s) => (next = s));
    await Promise.resolve();
    expect(next).toBeUndefined(); // two cores never open one data dir
    reg.remove(first);
    made[0]!.stop();
    await acquiring;
    expect(next).not.toBe(first);
    expect(made).toHaveLength(2);
  });

  it('forgets a session only if the key still maps to it', async () => {
    const { reg, made } = registry();
    const first = await reg.acquire(alice());
    reg.remove(first);
    const second = await reg.acquire(alice());
    reg.remove(first); // a late remove of the old one must not drop the new one
    expect(reg.get('alice', 5)).toBe(second);
    expect(reg.all()).toEqual([second]);
    expect(made).toHaveLength(2);
  });

  it('maps a bound client to its session only while the session holds it', async () => {
    const { reg, made } = registry();
    const s = await reg.acquire(alice());
    reg.bind(client, s);
    expect(reg.sessionOf(client)).toBeUndefined(); // bound, but not attached yet
    made[0]!.clients.add(client);
    reg.bind(client, s);
    expect(reg.sessionOf(client)).toBe(s);
    made[0]!.clients.delete(client);
    expect(reg.sessionOf(client)).toBeUndefined();
    made[0]!.clients.add(client);
    expect(reg.sessionOf(client)).toBeUndefined(); // the stale binding was dropped
    reg.bind(client, s);
    reg.unbind(client);
    expect(reg.sessionOf(client)).toBeUndefined();
  });
});
