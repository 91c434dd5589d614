// A loopback TCP proxy that tests put in front of a server to cut connections the way a network
// does: both sockets destroyed, no WebSocket close frame, no FIN handshake to wait for. The
// target can be swapped (a restarted server on new ports keeps the proxy's address), and
// connections can be cut by the userID in their upgrade URL (`sendID=`), so one user's link drops
// while everyone else's stays up.

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT` / `ws://127.0.0.1:PORT` for the proxied server. */
  url(scheme: 'http' | 'ws'): string;
  /** Send new connections to another port; existing ones stay where they are. */
  retarget(port: number): void;
  /**
   * Destroy live connections: all, or those whose first request line names `sendID=<userID>`
   * (the OpenIM message gateway's and sdkgate's upgrade URLs both carry it). Returns how many.
   */
  cut(userID?: string): number;
  /** While paused, new connections are refused (reset), as by a server that is down. */
  paused: boolean;
  /**
   * While stalled, nothing the clients send reaches the server (it is held, in order, and
   * forwarded on release): requests hang as on a congested link, connections stay up.
   */
  stalled: boolean;
  /** Live connections (optionally of one userID). */
  count(userID?: string): number;
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  userID: string | null;
  /** Client bytes held while stalled. */
  held: Buffer[];
}

const SEND_ID = /[?&]sendID=([^&\s]+)/;

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const links = new Set<Link>();
  const state = { paused: false, stalled: false };
  const server: Server = createServer((client) => {
    if (state.paused) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    const link: Link = { client, upstream, userID: null, held: [] };
    links.add(link);
    const drop = (): void => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        const m = SEND_ID.exec(chunk.subarray(0, 2048).toString('latin1'));
        if (m) link.userID = decodeURIComponent(m[1]!);
      }
      if (state.stalled) link.held.push(chunk);
      else upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const matching = (userID?: string): Link[] => [...links].filter((l) => userID === undefined || l.userID === userID);
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    retarget(p) {
      target = p;
    },
    cut(userID) {
      const hit = matching(userID);
      for (const l of hit) {
        links.delete(l);
        l.client.resetAndDestroy();
        l.upstream.resetAndDestroy();
      }
      return hit.length;
    },
    get paused() {
      return state.paused;
    },
    set paused(v: boolean) {
      state.paused = v;
    },
    get stalled() {
      return state.stalled;
    },
    set stalled(v: boolean) {
      state.stalled = v;
      if (v) return;
      for (const l of links) for (const chunk of l.held.splice(0)) l.upstream.write(chunk);
    },
    count: (userID) => matching(userID).length,
    async close() {
      for (const l of links) {
        l.client.destroy();
        l.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
