// Loopback proxies in front of the IM server that can hold chosen requests: a test opens a
// window (say, a first sync waiting on its profile request while its long connection is already
// up), fires an event into it, and releases it. Everything else passes. startHoldProxy fronts the
// REST API; startFrameHoldProxy the message gateway (it holds a client's request frames by
// reqIdentifier, while pushes keep flowing to the client).

import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface Hold {
  /** Resolves when a matching request has arrived (and is being held). */
  readonly reached: Promise<void>;
  /** Lets the held request (and any later match of this hold) through. */
  release(): void;
}

export interface HoldProxy {
  /** `http://127.0.0.1:PORT`: use it as the API address. */
  readonly url: string;
  /** Holds the next request to `path` whose JSON body satisfies `match` (once). */
  hold(path: string, match?: (body: any) => boolean): Hold;
  /** Forward to another server from now on (the proxy may have to exist before it). */
  retarget(target: string): void;
  close(): Promise<void>;
}

interface Pending {
  readonly path: string;
  readonly match: (body: any) => boolean;
  readonly arrived: () => void;
  readonly gate: Promise<void>;
  used: boolean;
}

export async function startHoldProxy(target: string): Promise<HoldProxy> {
  let to = new URL(target);
  const holds: Pending[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const relay = async (): Promise<void> => {
      const body = Buffer.concat(chunks);
      const h = holds.find((p) => !p.used && p.path === req.url && matches(p, body));
      if (h) {
        h.used = true;
        h.arrived();
        await h.gate;
      }
      const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    };
    // A listener's rejection would go unhandled: a relay that fails ends the client's response.
    req.on('end', () => void relay().catch(() => res.destroy()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(path, match = () => true) {
      let arrived!: () => void;
      let open!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const gate = new Promise<void>((r) => (open = r));
      holds.push({ path, match, arrived, gate, used: false });
      return { reached, release: open };
    },
    retarget(t) {
      to = new URL(t);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function matches(p: Pending, body: Buffer): boolean {
  try {
    return p.match(body.length ? JSON.parse(body.toString('utf8')) : undefined);
  } catch {
    return false;
  }
}

export interface FrameHoldProxy {
  /** `ws://127.0.0.1:PORT`: use it as the message gateway address. */
  readonly url: string;
  /** Holds `userID`'s next request frame with this reqIdentifier (once) until released. */
  hold(userID: string, reqIdentifier: number): Hold;
  /**
   * Holds the pushes (2001) to `userID` from now until released (then delivered in order), while
   * responses keep flowing: a push that travels slower than the requests around it.
   */
  holdPushes(userID: string): Hold;
  /**
   * Cuts `userID`'s connections (no close frame) and refuses its new ones until released: a
   * long connection that dropped and cannot come back yet. Everyone else stays connected.
   */
  drop(userID: string): Hold;
  /** Forward new connections to another server (the proxy may have to exist before it). */
  retarget(target: string): void;
  close(): Promise<void>;
}

/** A message-gateway proxy for clients that speak JSON frames without compression (sdkType=js). */
export async function startFrameHoldProxy(target: string): Promise<FrameHoldProxy> {
  let to = target;
  const dropped = new Set<string>();
  const links = new Map<WebSocket, string>();
  const holds: Array<{ userID: string; reqIdentifier: number; arrived: () => void; gate: Promise<void>; used: boolean }> = [];
  const pushHolds = new Map<string, { arrived: () => void; gate: Promise<void> }>();
  const server: Server = createServer((_req, res) => res.writeHead(400).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const userID = new URL(req.url ?? '/', 'ws://x').searchParams.get('sendID') ?? '';
    if (dropped.has(userID)) {
      socket.destroy();
      return;
    }
    const up = new WebSocket(to + (req.url ?? '/'), { perMessageDeflate: false });
    wss.handleUpgrade(req, socket, head, (client) => {
      sockets.add(client).add(up);
      links.set(client, userID);
      // Client frames go upstream in order: a held one holds the ones behind it too.
      let chain: Promise<void> = new Promise((r) => up.once('open', () => r()));
      client.on('message', (data: Buffer, isBinary) => {
        chain = chain.then(async () => {
          if (isBinary) {
            let reqIdentifier = 0;
            try {
              reqIdentifier = (JSON.parse(data.toString('utf8')) as { reqIdentifier: number }).reqIdentifier;
            } catch {
              // not JSON: passed through as it is
            }
            const h = holds.find((x) => !x.used && x.userID === userID && x.reqIdentifier === reqIdentifier);
            if (h) {
              h.used = true;
              h.arrived();
              await h.gate;
            }
          }
          if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary });
        });
      });
      // Server frames in order; a held push holds the pushes behind it, not the responses.
      let pushes: Promise<void> = Promise.resolve();
      up.on('message', (data: Buffer, isBinary) => {
        const forward = () => {
          if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
        };
        const h = pushHolds.get(userID);
        if (!h || !isBinary || !data.includes('"reqIdentifier":2001')) return forward();
        h.arrived();
        pushes = pushes.then(() => h.gate).then(forward);
      });
      const drop = () => {
        links.delete(client);
        client.terminate();
        up.terminate();
      };
      client.on('close', drop);
      up.on('close', drop);
      client.on('error', drop);
      up.on('error', drop);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    hold(userID, reqIdentifier) {
      let arrived!: () => void;
      let open!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const gate = new Promise<void>((r) => (open = r));
      holds.push({ userID, reqIdentifier, arrived, gate, used: false });
      return { reached, release: open };
    },
    drop(userID) {
      dropped.add(userID);
      for (const [client, u] of links) if (u === userID) client.terminate();
      return { reached: Promise.resolve(), release: () => dropped.delete(userID) };
    },
    retarget(t) {
      to = t;
    },
    holdPushes(userID) {
      let arrived!: () => void;
      let open!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const gate = new Promise<void>((r) => (open = r));
      pushHolds.set(userID, { arrived, gate });
      return {
        reached,
        release: () => {
          pushHolds.delete(userID);
          open();
        },
      };
    },
    close: () =>
      new Promise<void>((r) => {
        for (const w of sockets) w.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
