// Group info reported by OnGroupInfoChanged never goes back to an older value, however the
// notifications that carry snapshots of it (invite, kick, member info, rename) interleave.

import { afterAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('group info order', () => {
  it('a rename concurrent with member changes is never reported back to the old name', async () => {
    im = await startTestIm();
    cleanups.push(() => im.close());
    for (const u of ['go', 'gb', 'gc', 'gl', 'gm']) await im.register(u);
    const db = tempDir('core-gi-');
    cleanups.push(db.cleanup);
    const b = new TestCore('gb', db.dir, im);
    cleanups.push(() => b.core.close('drain'));
    await b.call('Login', 'gb', await im.userToken('gb'));
    await b.waitFor('OnSyncServerFinish');
    for (let round = 0; round < 5; round++) {
      const groupID = await im.createGroup('go', ['gb', 'gc', 'gl']);
      await b.waitFor('OnJoinedGroupAdded', (g) => g.groupID === groupID);
      const tok = await im.userToken('go');
      const post = (path: string, body: unknown) => imPost(im.apiAddress, path, body, tok);
      const from = b.events.length;
      await Promise.all([
        post('/group/kick_group', { groupID, kickedUserIDs: ['gl'], reason: '' }),
        post('/group/set_group_info', { groupInfoForSet: { groupID, groupName: `new-${round}` } }),
        post('/group/invite_user_to_group', { groupID, invitedUserIDs: ['gm'], reason: '' }),
        post('/group/set_group_member_info', { members: [{ groupID, userID: 'gb', nickname: `n${round}` }] }),
      ]);
      await b.waitFor('OnGroupInfoChanged', (g) => g.groupID === groupID && g.groupName === `new-${round}`, 8000, from);
      await new Promise((r) => setTimeout(r, 500));
      const names = b.events.slice(from).filter((e) => e.event === 'OnGroupInfoChanged' && (e.data as { groupID: string }).groupID === groupID).map((e) => (e.data as { groupName: string }).groupName);
      const first = names.indexOf(`new-${round}`);
      expect(names.slice(first), `round ${round}: ${names.join(',')}`).not.toContain(`group`);
    }
  }, 60_000);
});
