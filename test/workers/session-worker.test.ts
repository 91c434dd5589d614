// The session worker's own checks at boot, before the gateway binds it to a session.

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type WorkerBoot, type WorkerControlMessage } from '../../src/protocol.ts';
import { ECHO_CORE } from '../supervisor/harness.ts';

const WORKER = new URL('../../workers/session-worker.ts', import.meta.url);

describe('session worker', () => {
  it('refuses a gateway that speaks another protocol version, before it loads the core', async () => {
    const boot = { protocolVersion: PROTOCOL_VERSION + 1, coreModule: ECHO_CORE, heapLimitMb: 32, faultInjection: false, logLevel: 'silent' };
    const w = new Worker(WORKER, { workerData: boot, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 2 } });
    const exited = once(w, 'exit');
    const [first] = (await once(w, 'message')) as [WorkerControlMessage];
    expect(first).toMatchObject({
      type: 'fatal',
      error: { name: 'GW_INTERNAL', detail: { protocolVersion: PROTOCOL_VERSION, gatewayProtocolVersion: PROTOCOL_VERSION + 1 } },
    });
    expect(await exited).toEqual([1]);
  });

  it('loads the core for a gateway of its own protocol version', async () => {
    const boot: WorkerBoot = { protocolVersion: PROTOCOL_VERSION, coreModule: ECHO_CORE, heapLimitMb: 32, faultInjection: false, logLevel: 'silent' };
    const w = new Worker(WORKER, { workerData: boot, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 2 } });
    try {
      const [first] = (await once(w, 'message')) as [WorkerControlMessage];
      expect(first.type).toBe('loaded');
    } finally {
      await w.terminate();
    }
  });
});
