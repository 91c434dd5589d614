// After a refusal or a close, the gateway must hold nothing for it: no socket, no cap slot, no
// connection object (a leak there would cap the gateway by attrition).

import { expect, vi } from 'vitest';
import type { Gateway } from '../../src/index.ts';

/** Bounded wait until the gateway's HTTP server holds no socket, cap slot or connection. */
export async function expectNoSocketHeld(g: Gateway): Promise<void> {
  const sockets = (): Promise<number> => new Promise((resolve, reject) => g.server.server.getConnections((e, c) => (e ? reject(e) : resolve(c))));
  await vi.waitFor(async () => {
    expect({ sockets: await sockets(), capSlots: g.server.caps.total, connections: g.server.connections.size }).toEqual({ sockets: 0, capSlots: 0, connections: 0 });
  }, { timeout: 3_000, interval: 20 });
}
