import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.ts';
import { tempDir } from './harness.ts';

describe('call deadlines', () => {
  it('a call whose signal aborts is answered with the abort reason at once', async () => {
    const d = tempDir('core-abort-');
    const core = await createCore({
      userID: 'u', platformID: 5, dataDir: d.dir, apiAddress: 'http://127.0.0.1:1', wsAddress: 'ws://127.0.0.1:1',
      emit() {}, log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await core.functions.Login!({ operationID: 'l', signal: new AbortController().signal }, 'u', 'tok');
    const m = await core.functions.CreateTextMessage!({ operationID: 'c', signal: new AbortController().signal }, 'hi');
    const ac = new AbortController();
    const t0 = Date.now();
    // Not connected: the send would wait for the connection; the deadline answers first.
    const p = core.functions.SendMessageNotOss!({ operationID: 's', signal: ac.signal }, m, 'v', '', undefined, false);
    setTimeout(() => ac.abort(new Error('deadline')), 100);
    await expect(p).rejects.toThrow('deadline');
    expect(Date.now() - t0).toBeLessThan(2000);
    await core.close('drain');
    d.cleanup();
  });
});
