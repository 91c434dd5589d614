// Which token may reach a session (issue 9), at the supervisor's seam: the TokenAuthority is the
// recording stand-in (test/helpers/tokens.ts); the real verifier and the real client are in
// test/gateway/auth.test.ts and test/e2e/revoked-token.test.ts.

import { afterAll, describe, expect, it } from 'vitest';
import { fakeClient } from '../helpers/clients.ts';
import { RecordingTokens } from '../helpers/tokens.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

interface CoreInfo {
  logins: number;
}

describe('Supervisor#login and tokens', () => {
  it('lets the session\'s own token attach without asking upstream', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    await supervisor.login(fakeClient('own', 5, 'tok-1'), 'op');
    tokens.refused.add('tok-1'); // nothing vouches for it any more: only "it is the session's" lets it in
    const tab = fakeClient('own', 5, 'tok-1');
    await supervisor.login(tab, 'op');
    expect(tokens.rechecks).toEqual([]);
    expect(supervisor.get('own', 5)!.connections).toBe(2);
  });

  it('rechecks any other token upstream and refuses it with GW_BAD_TOKEN, attaching nothing', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    await supervisor.login(fakeClient('other', 5, 'tok-new'), 'op');
    tokens.refused.add('tok-revoked');
    const intruder = fakeClient('other', 5, 'tok-revoked');
    const r = await settle(supervisor.login(intruder, 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_BAD_TOKEN');
    expect(tokens.rechecks).toEqual(['tok-revoked']);
    expect(supervisor.get('other', 5)!.connections).toBe(1);
    expect(supervisor.loginStatus(intruder)).toBe(1);
    expect(tokens.supersessions).toEqual([]);
  });

  it('refuses to start a session for a token it cannot vouch for', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    tokens.refused.add('tok-dead');
    const r = await settle(supervisor.login(fakeClient('none', 5, 'tok-dead'), 'op'));
    expect(!r.ok && r.error.errorName).toBe('GW_BAD_TOKEN');
    expect(supervisor.list()).toEqual([]);
  });

  it('adopts a newer token: reports it, gives it to the core, and expels tabs whose older token upstream refuses', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    const oldTab = fakeClient('adopt', 5, 'tok-old');
    const keptTab = fakeClient('adopt', 5, 'tok-kept');
    await supervisor.login(oldTab, 'op');
    await supervisor.login(keptTab, 'op'); // also newer; both valid upstream so far
    tokens.refused.add('tok-old'); // superseded upstream by the next one
    const newTab = fakeClient('adopt', 5, 'tok-new');
    await supervisor.login(newTab, 'op');

    expect(tokens.supersessions.map((s) => s.token)).toEqual(['tok-kept', 'tok-new']);
    await expect.poll(() => oldTab.names().includes('OnKickedOffline'), { timeout: 5000, message: 'the old tab expelled' }).toBe(true);
    expect(supervisor.loginStatus(oldTab)).toBe(1);
    expect(supervisor.loginStatus(keptTab)).toBe(3); // upstream still accepts it
    expect(supervisor.get('adopt', 5)!.connections).toBe(2);
    // The running core was told each newer token (core Login), the start included.
    let logins = 0;
    for (let i = 0; i < 100 && logins !== 3; i++) {
      logins = ((await supervisor.call(newTab, 'Info', [], 'op')) as CoreInfo).logins;
      if (logins !== 3) await new Promise((r) => setTimeout(r, 20));
    }
    expect(logins).toBe(3);
  });

  it('reports a kick of the core as a revocation of the pair', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    const c = fakeClient('kicked', 5, 'tok-k');
    await supervisor.login(c, 'op');
    tokens.refused.add('tok-k'); // the kick revoked it (a kick that left it valid: kick-moved.test.ts)
    await supervisor.call(c, 'Emit', ['OnKickedOffline', 1], 'op').catch(() => undefined);
    await expect.poll(() => tokens.revocations.length === 1, { timeout: 5000, message: 'revoked' }).toBe(true);
    expect(tokens.revocations).toEqual([{ userID: 'kicked', platformID: 5 }]);
  });
});
