// A kick of the core (OnKickedOffline) at the supervisor's seam: when upstream still accepts the
// session's token afterwards, the kick came from the same user's session on another node (OpenIM
// up to v3.8.3 kicks same-token duplicates); the session ends quietly and its tabs are closed
// with 1012 instead of being told they were kicked. Through two real gateways and the real
// client: test/e2e/session-moved.test.ts.

import { afterAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
import { fakeClient } from '../helpers/clients.ts';
import { RecordingTokens } from '../helpers/tokens.ts';
import { disposeAll, makeSupervisor, settle } from './harness.ts';

afterAll(disposeAll);

describe('a kick of the core', () => {
  it('with the token still accepted ends the session quietly: tabs closed with 1012, no OnKickedOffline, no revocation', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    const tabs = [fakeClient('moved', 5, 'tok-m'), fakeClient('moved', 5, 'tok-m')];
    for (const t of tabs) await supervisor.login(t, 'op');
    await supervisor.call(tabs[0]!, 'Emit', ['OnKickedOffline', 1], 'op').catch(() => undefined);
    await expect.poll(() => tabs.every((t) => t.closed !== null), { timeout: 5000, message: 'tabs closed' }).toBe(true);
    for (const t of tabs) {
      expect(t.closed).toEqual({ code: catalog.GW_SESSION_MOVED.close, reason: 'session moved to another node' });
      expect(t.names()).not.toContain('OnKickedOffline');
    }
    expect(tokens.rechecks).toContain('tok-m');
    expect(tokens.revocations).toEqual([]);
    await expect.poll(() => supervisor.get('moved', 5) === undefined, { timeout: 5000, message: 'session stopped' }).toBe(true);
    // A login that reaches this node afterwards starts a fresh session here.
    const back = fakeClient('moved', 5, 'tok-m');
    await supervisor.login(back, 'op');
    expect(supervisor.get('moved', 5)?.state).toBe('ready');
  });

  it('with the token revoked tells the tabs OnKickedOffline and revokes the pair, as before', async () => {
    const tokens = new RecordingTokens();
    const { supervisor } = makeSupervisor({}, { tokens });
    const tab = fakeClient('ordered', 5, 'tok-o');
    await supervisor.login(tab, 'op');
    tokens.refused.add('tok-o');
    const from = tab.events.length;
    await supervisor.call(tab, 'Emit', ['OnKickedOffline', 1], 'op').catch(() => undefined);
    await tab.waitFor('OnKickedOffline', 5000, from);
    expect(tab.closed).toBeNull();
    expect(tokens.revocations).toEqual([{ userID: 'ordered', platformID: 5 }]);
    // Calls meanwhile are refused as stopped, not run on a core that can no longer reach upstream.
    const r = await settle(supervisor.call(tab, 'Echo', ['x'], 'op'));
    expect(r.ok).toBe(false);
  });
});
