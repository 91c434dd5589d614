// The session RPC over an in-thread MessageChannel: no Worker involved, which is what lets the
// same code serve `--isolation none` later.

import { decoded, EncodedResult } from '../../src/rpc/encoded.ts';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, SdkCore } from '../../src/core/contract.ts';
import { CodedError } from '../../src/core/errors.ts';
import { CoreError, gatewayError } from '../../src/errors.ts';
import type { EventMessage, PongMessage, ShutdownMessage } from '../../src/protocol.ts';
import { RpcClient, type RpcClientOptions } from '../../src/rpc/client.ts';
import { eventData, RpcServer } from '../../src/rpc/server.ts';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

interface Pair {
  client: RpcClient;
  server: RpcServer;
  events: EventMessage[];
  aborted: string[];
  closedWith: ShutdownMessage['reason'][];
  overdue: string[];
  /** Stubborn calls whose function is still running in the worker. */
  stubborn: { running: number };
  close(): void;
}

const open: Pair[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

function pair(opts: Partial<RpcClientOptions> = {}, core_: { answerAtDeadline?: boolean } = {}): Pair {
  const { port1, port2 } = new MessageChannel();
  const events: EventMessage[] = [];
  const aborted: string[] = [];
  const closedWith: ShutdownMessage['reason'][] = [];
  const overdue: string[] = [];
  const stubborn = { running: 0 };
  const server = new RpcServer(port2, { logLevel: 'info', onClosed: (r) => closedWith.push(r) });
  const core: SdkCore = {
    functions: {
      Echo: async (_ctx: CallContext, ...args: unknown[]) => args,
      Sleep: async (ctx: CallContext, ms: number) => {
        try {
          await sleep(ms, ctx.signal);
        } catch (e) {
          aborted.push(ctx.operationID);
          throw e;
        }
        return ms;
      },
      Stubborn: async (_ctx: CallContext, ms: number) => {
        stubborn.running++;
        await sleep(ms);
        stubborn.running--;
        return ms;
      },
      EmitThenReturn: async (_ctx: CallContext, n: number) => {
        for (let i = 0; i < n; i++) server.emit('OnProgress', { i });
        return 'done';
      },
      Coded: async () => {
        throw new CodedError(10005, 'record not found');
      },
      Gateway: async () => {
        throw gatewayError('GW_BAD_ARGUMENTS', 'nope', { index: 1 });
      },
      Secret: async () => {
        throw new Error('/home/app/secret.db: EACCES');
      },
      Unclonable: async () => () => 1,
      Big: async () => ({ n: 10n }),
      Deep: async (_c: unknown, depth: number) => {
        let v: unknown[] = [];
        for (let i = 0; i < depth; i++) v = [v];
        return v;
      },
    },
    close: async () => {},
    ...core_,
  };
  const client = new RpcClient(port1, {
    overdueGraceMs: 100,
    onEvent: (e) => events.push(e),
    onOverdue: (c) => overdue.push(c.fn),
    ...opts,
  });
  server.serve(core, 0);
  const p: Pair = { client, server, events, aborted, closedWith, overdue, stubborn, close: () => { port1.close(); port2.close(); } };
  open.push(p);
  return p;
}

const soon = (ms = 2000) => Date.now() + ms;

/** The rejection of a call that must fail (a resolution fails the test). */
const failure = (p: Promise<unknown>): Promise<any> =>
  p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );

describe('RpcClient / RpcServer', () => {
  it('answers a call with the core value over an in-thread MessageChannel', async () => {
    const { client } = pair();
    await expect(client.ready).resolves.toMatchObject({ type: 'ready' });
    const r = await client.call('Echo', [1, 'two', { three: 3 }], { operationID: 'o', deadline: soon() }).result;
    // The worker's JSON text, as the gateway puts it on the wire.
    expect(r).toBeInstanceOf(EncodedResult);
    expect((r as EncodedResult).json).toBe('[1,"two",{"three":3}]');
    expect(decoded(r)).toEqual([1, 'two', { three: 3 }]);
    expect(client.inFlight).toBe(0);
  });

  it('preserves the code of a CodedError and of a GatewayError thrown by the core', async () => {
    const { client } = pair();
    const coded = await failure(client.call('Coded', [], { operationID: 'o', deadline: soon() }).result);
    expect(coded).toBeInstanceOf(CoreError);
    expect([coded.code, coded.message]).toEqual([10005, 'record not found']);
    const gw = await failure(client.call('Gateway', [], { operationID: 'o', deadline: soon() }).result);
    expect([gw.errorName, gw.code, gw.detail]).toEqual(['GW_BAD_ARGUMENTS', 20004, { index: 1 }]);
  });

  it('hides the text of an unexpected core error behind GW_INTERNAL', async () => {
    const { client } = pair();
    const e = await failure(client.call('Secret', [], { operationID: 'o', deadline: soon() }).result);
    expect(e.errorName).toBe('GW_INTERNAL');
    expect(e.message).not.toContain('secret.db');
  });

  it('answers GW_UNKNOWN_FUNCTION for names the core does not own, prototype names included', async () => {
    const { client } = pair();
    for (const fn of ['Nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const e = await failure(client.call(fn, [], { operationID: 'o', deadline: soon() }).result);
      expect(e.errorName, fn).toBe('GW_UNKNOWN_FUNCTION');
    }
  });

  it('answers GW_INTERNAL when a result cannot be cloned, and GW_BAD_ARGUMENTS for unclonable arguments', async () => {
    const { client } = pair();
    const r = await failure(client.call('Unclonable', [], { operationID: 'o', deadline: soon() }).result);
    expect(r.errorName).toBe('GW_INTERNAL');
    const a = await failure(client.call('Echo', [() => 1], { operationID: 'o', deadline: soon() }).result);
    expect(a.errorName).toBe('GW_BAD_ARGUMENTS');
    expect(client.inFlight).toBe(0);
  });

  it('fails only the call whose result JSON cannot encode (BigInt)', async () => {
    const { client } = pair();
    expect((await failure(client.call('Big', [], { operationID: 'o', deadline: soon() }).result)).errorName).toBe('GW_INTERNAL');
    expect(decoded(await client.call('Echo', [1], { operationID: 'o', deadline: soon() }).result)).toEqual([1]);
  });

  it('carries a deeply nested result intact (structured clone would overflow the receiving stack)', async () => {
    const { client } = pair();
    let v = decoded(await client.call('Deep', [3000], { operationID: 'o', deadline: soon() }).result) as unknown[];
    let depth = 0;
    while (Array.isArray(v) && v.length === 1) {
      v = v[0] as unknown[];
      depth++;
    }
    expect(depth).toBe(3000);
    expect(decoded(await client.call('Echo', [2], { operationID: 'o', deadline: soon() }).result)).toEqual([2]);
  });

  it('rejects with GW_CALL_TIMEOUT at the deadline, aborts the core signal, and settles once the worker answers', async () => {
    const { client, aborted, overdue } = pair();
    const c = client.call('Sleep', [10_000], { operationID: 'op-t', deadline: Date.now() + 100 });
    const e = await failure(c.result);
    expect(e.errorName).toBe('GW_CALL_TIMEOUT');
    await c.settled;
    expect(aborted).toEqual(['op-t']);
    expect(client.inFlight).toBe(0);
    await sleep(150);
    expect(overdue).toEqual([]);
  });

  it('cancels a call when its AbortSignal fires', async () => {
    const { client, aborted } = pair();
    const ac = new AbortController();
    const c = client.call('Sleep', [10_000], { operationID: 'op-c', deadline: soon(10_000), signal: ac.signal });
    ac.abort();
    const e = await failure(c.result);
    expect(e.errorName).toBe('GW_CALL_TIMEOUT');
    expect(e.detail.cancelled).toBe(true);
    await c.settled;
    expect(aborted).toEqual(['op-c']);
  });

  it('keeps a timed-out call unsettled while the worker ignores the cancel, then reports it overdue', async () => {
    const { client, overdue } = pair();
    // Stubborn outlives the checks below by a wide margin: a loaded machine must not race them.
    const c = client.call('Stubborn', [2_000], { operationID: 'o', deadline: Date.now() + 50 });
    await expect(c.result).rejects.toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
    let settled = false;
    void c.settled.then(() => (settled = true));
    await sleep(200);
    expect(settled).toBe(false);
    expect(client.inFlight).toBe(1);
    expect(overdue).toEqual(['Stubborn']);
    await c.settled; // the late answer still frees the slot
    expect(client.inFlight).toBe(0);
  });

  it('answers a call at its deadline for a core that asks for it, even if the function ignores its signal', async () => {
    const { client, overdue, stubborn } = pair({}, { answerAtDeadline: true });
    const t0 = Date.now();
    const c = client.call('Stubborn', [600], { operationID: 'o', deadline: Date.now() + 50 });
    await expect(c.result).rejects.toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
    await c.settled; // the worker answered at the deadline, not when Stubborn finished
    expect(Date.now() - t0).toBeLessThan(500);
    expect(client.inFlight).toBe(0);
    expect(stubborn.running).toBe(1); // its work goes on in the background
    await sleep(700);
    expect(stubborn.running).toBe(0);
    expect(overdue).toEqual([]);
    // The late result was dropped: the next call gets its own answer.
    expect(decoded(await client.call('Echo', [3], { operationID: 'o', deadline: soon() }).result)).toEqual([3]);
  });

  it('answers a cancelled call at once for a core that answers at the deadline', async () => {
    const { client } = pair({}, { answerAtDeadline: true });
    const ac = new AbortController();
    const c = client.call('Stubborn', [10_000], { operationID: 'o', deadline: soon(20_000), signal: ac.signal });
    ac.abort();
    await expect(c.result).rejects.toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
    await c.settled;
    expect(client.inFlight).toBe(0);
  });

  it('builds no AbortController for a call whose function never reads ctx.signal', async () => {
    const { client } = pair();
    const Real = globalThis.AbortController;
    let built = 0;
    globalThis.AbortController = class extends Real {
      constructor() {
        super();
        built++;
      }
    };
    try {
      for (let i = 0; i < 20; i++) await client.call('Echo', [i], { operationID: 'o', deadline: soon() }).result;
      expect(built).toBe(0);
      const c = client.call('Sleep', [10_000], { operationID: 'o', deadline: Date.now() + 50 });
      await expect(c.result).rejects.toMatchObject({ errorName: 'GW_CALL_TIMEOUT' });
      await c.settled;
      expect(built).toBe(1); // Sleep reads it, and it was aborted at the deadline
    } finally {
      globalThis.AbortController = Real;
    }
  });

  it('failAll rejects every in-flight call at once with the given error and posts nothing afterwards', async () => {
    const { client } = pair();
    const calls = [1, 2, 3].map(() => client.call('Sleep', [10_000], { operationID: 'o', deadline: soon(20_000) }));
    expect(client.inFlight).toBe(3);
    const err = gatewayError('GW_SESSION_CRASHED', 'exception', { reason: 'exception', restartInMs: 250 });
    const t0 = Date.now();
    client.failAll(err);
    for (const c of calls) {
      await expect(c.result).rejects.toBe(err);
      await c.settled;
    }
    expect(Date.now() - t0).toBeLessThan(100);
    expect(client.inFlight).toBe(0);
    expect(client.dead).toBe(true);
    // New calls fail the same way, without touching the port.
    await expect(client.call('Echo', [], { operationID: 'o', deadline: soon() }).result).rejects.toBe(err);
    expect(client.fault('throw')).toBe(false);
  });

  it('delivers the events a call emits before its result, in order', async () => {
    const { client, events } = pair();
    const order: string[] = [];
    const c = client.call('EmitThenReturn', [20], { operationID: 'o', deadline: soon() });
    await c.result.then(() => order.push(`result after ${events.length} events`));
    expect(order).toEqual(['result after 20 events']);
    expect(events.map((e) => JSON.parse(e.data).i)).toEqual([...Array(20).keys()]);
  });

  it('encodes callback data as wire JSON text: strings as they are, nothing as ""', () => {
    expect(eventData(undefined)).toBe('');
    expect(eventData(null)).toBe('');
    expect(eventData('[{"a":1}]')).toBe('[{"a":1}]');
    expect(eventData({ a: 1 })).toBe('{"a":1}');
    expect(eventData(5)).toBe('5');
  });

  it('reports the heap once when it starts serving, answers pings with it, closes the core on shutdown, then reports closed', async () => {
    const pongs: PongMessage[] = [];
    const { client, closedWith } = pair({ onPong: (p) => pongs.push(p) });
    client.ping(7);
    await client.shutdown('logout');
    expect(pongs.map((p) => p.seq)).toEqual([0, 7]);
    expect(pongs[0]!.heapUsed).toBeGreaterThan(0);
    expect(pongs[0]!.heapLimit).toBeGreaterThan(pongs[0]!.heapUsed);
    expect(closedWith).toEqual(['logout']);
  });
});
