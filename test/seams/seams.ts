// The seams of a session's life, each a driver that brings the clients to it and through it.
// Time 0 is the seam's moment; the events fire at seeded offsets around it (`window`, ms).

import { fastReconnect, until } from '../helpers/client.ts';
import type { TcpProxy } from '../helpers/tcp-proxy.ts';
import type { Tab, World } from './world.ts';

export interface SeamContext {
  readonly adminToken: string;
  /** Between the clients and the gateway, to drop a client's socket without a close frame. */
  readonly clientLink: TcpProxy;
}

export interface Seam {
  readonly name: string;
  readonly variants: readonly string[];
  /** Event offsets, ms around the seam's moment. */
  readonly window: readonly [number, number];
  /** first-sync: the offsets count from when the logins resolved, not from when they began. */
  readonly afterRun?: boolean;
  /** Bring the clients in before the seam (logged in, synced). */
  prepare(w: World, variant: string, ctx: SeamContext): Promise<void>;
  /** The seam itself; resolves once it is over (clients back, or in for the first time). */
  run(w: World, variant: string, ctx: SeamContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Log a user's first tab in and wait for its first sync; later tabs of the user just join. */
async function open(w: World, name: string, role: 'a' | 'b', wsAddr?: string): Promise<Tab> {
  const first = w.tabsOf(role).length === 0;
  const t = await w.openTab(name, role, wsAddr);
  await t.log.waitFor(first ? 'OnSyncServerFinish' : 'OnConnectSuccess', undefined, 20_000);
  return t;
}

/** a1, b1, b2, all synced; b1 sends the own-message. */
async function calm(w: World): Promise<void> {
  await open(w, 'a1', 'a');
  await open(w, 'b1', 'b');
  await open(w, 'b2', 'b');
  w.notes.set('sender', 'b1');
}

/** Until `t` hears OnConnectSuccess after index `from`. */
async function reconnected(t: Tab, from: number, ms = 30_000): Promise<void> {
  await t.log.waitFor('OnConnectSuccess', undefined, ms, from);
}

export const SEAMS: readonly Seam[] = [
  {
    name: 'first-sync',
    variants: ['login'],
    window: [0, 1500],
    afterRun: true,
    async prepare(w) {
      w.notes.set('sender', 'b1');
    },
    async run(w) {
      // Both users log in from a new data dir at once (b2 joins b1's start); events follow at once.
      await Promise.all([w.openTab('a1', 'a'), w.openTab('b1', 'b'), w.openTab('b2', 'b')]);
    },
  },
  {
    name: 'reattach',
    variants: ['second-tab', 'reload', 'reconnect'],
    window: [-300, 1200],
    async prepare(w, variant, ctx) {
      await open(w, 'a1', 'a');
      if (variant === 'reconnect') {
        const b1 = await open(w, 'b1', 'b', ctx.clientLink.url('ws'));
        fastReconnect(b1.sdk, w.rng.int(100, 1000));
      } else {
        await open(w, 'b1', 'b');
      }
      if (variant !== 'second-tab') await open(w, 'b2', 'b');
      w.notes.set('sender', variant === 'second-tab' ? 'b1' : 'b2');
    },
    async run(w, variant, ctx) {
      if (variant === 'second-tab') {
        await w.openTab('b2', 'b');
      } else if (variant === 'reload') {
        w.leave(w.tab('b1'));
        await sleep(w.rng.int(0, 300));
        await w.openTab('b1r', 'b');
      } else {
        const b1 = w.tab('b1');
        const from = b1.log.heard.length;
        const cutAt = Date.now();
        if (ctx.clientLink.cut(w.users.b) !== 1) throw new Error('b1 has no link to cut');
        b1.redials++;
        // Until the gateway has seen b1's socket close, callbacks still go into it.
        await until((async () => {
          while (w.stack.gateway.supervisor.get(w.users.b, 5)!.connections !== 1) await sleep(2);
        })(), 10_000, 'the gateway to see b1\'s socket close');
        b1.cuts.push([cutAt - 20, Date.now() + 5]);
        await reconnected(b1, from);
      }
    },
  },
  {
    name: 'crash',
    variants: ['exit', 'throw'],
    window: [-200, 1500],
    prepare: (w) => calm(w),
    async run(w, variant, ctx) {
      const before = w.stack.gateway.supervisor.get(w.users.b, 5)!.restarts;
      const res = await fetch(`http://127.0.0.1:${w.stack.gateway.address.port}/admin/sessions/${w.users.b}/5/fault`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ctx.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: variant }),
      });
      if (res.status !== 200) throw new Error(`fault route answered ${res.status}`);
      await until((async () => {
        for (;;) {
          const s = w.stack.gateway.supervisor.get(w.users.b, 5);
          if (s && s.restarts > before && s.state === 'ready') return;
          await sleep(20);
        }
      })(), 30_000, 'the crashed session to be ready again');
    },
  },
  {
    name: 'long-connection',
    variants: ['drop'],
    window: [-200, 2000],
    prepare: (w) => calm(w),
    async run(w) {
      const b1 = w.tab('b1');
      const from = b1.log.heard.length;
      const ws = w.stack.imProxy!.ws;
      // The link drops and stays down a while: the core redials (and is refused) until it is back.
      ws.paused = true;
      try {
        ws.cut(w.users.b);
        await sleep(w.rng.int(0, 1500));
      } finally {
        ws.paused = false;
      }
      await reconnected(b1, from);
    },
  },
  {
    name: 'im-restart',
    variants: ['restart'],
    window: [-300, 2500],
    prepare: (w) => calm(w),
    async run(w) {
      const from = w.tabs.map((t) => t.log.heard.length);
      let open!: () => void;
      w.gate = new Promise((r) => (open = r));
      try {
        await w.restIdle();
        await w.stack.restartIm(async () => void (await sleep(w.rng.int(200, 1000))));
      } finally {
        w.gate = null;
        open();
      }
      await Promise.all(w.tabs.map((t, i) => reconnected(t, from[i]!)));
    },
  },
];
