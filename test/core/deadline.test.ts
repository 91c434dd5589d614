// The real core asks its host to answer every call at its deadline (SdkCore.answerAtDeadline):
// a send waiting for a connection that never comes is answered with the timeout, through the
// same RpcServer a session worker runs, and the worker's slot is free again (no overdue).

import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.ts';
import { decoded } from '../../src/rpc/encoded.ts';
import { RpcClient } from '../../src/rpc/client.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { tempDir } from './harness.ts';

describe('call deadlines', () => {
  it('answers a send that waits for the connection at its deadline, and frees the slot', async () => {
    const d = tempDir('core-abort-');
    const core = await createCore({
      userID: 'u', platformID: 5, dataDir: d.dir, apiAddress: 'http://127.0.0.1:1', wsAddress: 'ws://127.0.0.1:1',
      emit() {}, log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(core.answerAtDeadline).toBe(true);
    const { port1, port2 } = new MessageChannel();
    const overdue: string[] = [];
    const server = new RpcServer(port2, { logLevel: 'silent', onClosed() {} });
    const client = new RpcClient(port1, { overdueGraceMs: 100, onOverdue: (c) => overdue.push(c.fn) });
    server.serve(core, 0);
    const soon = () => Date.now() + 5_000;
    await client.call('Login', ['u', 'tok'], { operationID: 'l', deadline: soon() }).result;
    const m = decoded(await client.call('CreateTextMessage', ['hi'], { operationID: 'c', deadline: soon() }).result);
    const t0 = Date.now();
    // Not connected: the send waits for the connection; the deadline answers first.
    const c = client.call('SendMessageNotOss', [m, 'v', '', undefined, false], { operationID: 's', deadline: Date.now() + 150 });
    await expect(c.result).rejects.toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
    await c.settled; // the worker answered too, not only the client's own timer
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(client.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(overdue).toEqual([]);
    await client.shutdown('drain');
    port1.close();
    d.cleanup();
  });
});
