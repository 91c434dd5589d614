// Runs seeds of the seam suite on one shared stack (embedded IM server behind TCP proxies, the
// gateway with the real core and fault injection). A seed picks the seam (seed mod the number
// of seams), its variant, and every event's offset; it is all a rerun needs.
//
//   SEAMS_SEED=17          run only seed 17
//   SEAMS_SEEDS=200        run that many seeds, from SEAMS_FIRST (default 1)
//   SEAMS_BUDGET_MS=...    stop starting new seeds after this long (the soak's time bound)

import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { dataAgrees, expectationsHeld, lifecycleHeld, messagesHeld, type Fired } from './check.ts';
import { EVENTS, setupWorld } from './events.ts';
import { Rng } from './rng.ts';
import { SEAMS, type SeamContext } from './seams.ts';
import { World } from './world.ts';

export interface SeedResult {
  readonly seed: number;
  readonly seam: string;
  readonly variant: string;
  /** Problems that fail the seed. */
  readonly problems: string[];
  /** Events fired (and answered by the server) around the seam. */
  readonly fired: number;
  readonly ms: number;
  /** Each event's offset from the seam's moment and how long its action took, for the report. */
  readonly timeline: string[];
  /** What each tab heard (callback names, in order), for the report. */
  readonly heard: string[];
}

export interface SeamBench {
  readonly stack: Stack;
  readonly ctx: SeamContext;
  close(): Promise<void>;
}

const ADMIN_TOKEN = 'seams-admin';
/** Bounds a hang only: every check polls until it holds or this passes. */
const SETTLE_MS = 20_000;
/** After everything arrived: how long a duplicate gets to show up. */
const QUIET_MS = 700;

export async function startSeamBench(): Promise<SeamBench> {
  const stack = await startStack(
    {
      faultInjection: true,
      adminToken: ADMIN_TOKEN,
      restartBackoffMs: 100,
      restartBackoffMaxMs: 400,
      // Each seed crashes a fresh user once; the intensity guard has its own tests.
      restartIntensity: 1000,
      idleGraceMs: 30_000,
      maxConnsPerUser: 20,
    },
    { coreModule: DEFAULT_CORE_MODULE },
    { proxyIm: true },
  );
  let clientLink: TcpProxy;
  try {
    clientLink = await startTcpProxy(stack.gateway.address.port);
  } catch (e) {
    await stack.close();
    throw e;
  }
  return {
    stack,
    ctx: { adminToken: ADMIN_TOKEN, clientLink },
    async close() {
      await clientLink.close();
      await stack.close();
    },
  };
}

export function seedsFromEnv(env: NodeJS.ProcessEnv, defaultCount: number): number[] {
  if (env.SEAMS_SEED) return [Number(env.SEAMS_SEED)];
  const first = Number(env.SEAMS_FIRST ?? 1);
  const count = Number(env.SEAMS_SEEDS ?? defaultCount);
  return Array.from({ length: count }, (_, i) => first + i);
}

export async function runSeed(bench: SeamBench, seed: number): Promise<SeedResult> {
  const t0 = Date.now();
  const rng = new Rng(seed);
  const seam = SEAMS[seed % SEAMS.length]!;
  const variant = rng.pick(seam.variants);
  const w = new World(seed, rng, bench.stack);
  w.seam = seam.name;
  const fired: Fired[] = [];
  const timeline: string[] = [];
  const problems: string[] = [];
  try {
    await setupWorld(w);
    if (seam.afterRun) await w.recordBaseline();
    await seam.prepare(w, variant, bench.ctx);
    if (!seam.afterRun) await w.recordBaseline();
    // Offsets in the seam's window, in a seeded order.
    const plan = EVENTS.map((ev) => ({ ev, offset: rng.int(seam.window[0], seam.window[1]) }));
    const lead = Math.max(0, -seam.window[0]);
    const fire = (zero: number) =>
      Promise.all(
        plan.map(async ({ ev, offset }) => {
          const wait = zero + offset - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const f: Fired = { name: ev.name, at: Date.now(), done: null, error: null };
          const start = f.at - t0;
          fired.push(f);
          try {
            await ev.fire(w);
            f.done = Date.now();
          } catch (e) {
            f.error = (e as Error).message;
          }
          timeline.push(`${ev.name} @${offset}ms (at ${start}ms) took ${f.done === null ? 'failed' : `${f.done - f.at}ms`}`);
        }),
      );
    if (seam.afterRun) {
      await seam.run(w, variant, bench.ctx);
      await fire(Date.now());
    } else {
      const zero = Date.now() + lead;
      const events = fire(zero);
      await new Promise((r) => setTimeout(r, lead));
      await Promise.all([seam.run(w, variant, bench.ctx), events]);
    }
    problems.push(...(await settle(w, fired)));
  } catch (e) {
    problems.push(`harness: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await w.dispose().catch(() => undefined);
  }
  // SEAMS_DUMP=OnGroupInfoChanged,… adds those callbacks' data to the report.
  const dump = new Set((process.env.SEAMS_DUMP ?? '').split(',').filter(Boolean));
  const shown = (h: { event: string; data: unknown; t: number }) => `${h.event.slice(2)}@${h.t - t0}${dump.has(h.event) ? JSON.stringify(h.data) : ''}`;
  const heard = w.tabs.map((t) => `${t.name} (in ${t.attachedAt === null ? '-' : t.attachedAt - t0}ms${t.leftAt === null ? '' : `, out ${t.leftAt - t0}ms`}): ${t.log.heard.map(shown).join(' ')}`);
  return { seed, seam: seam.name, variant, problems, fired: fired.filter((f) => f.done !== null).length, ms: Date.now() - t0, timeline, heard };
}

/** Waits (bounded) until every callback is in, then lets duplicates show, then checks it all. */
async function settle(w: World, fired: readonly Fired[]): Promise<string[]> {
  const deadline = Date.now() + SETTLE_MS;
  const quick = () => [...expectationsHeld(w, fired), ...lifecycleHeld(w)];
  // Waiting cannot undo what was heard (a duplicate, a stale value): only missing callbacks are waited for.
  while (quick().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  while ((await messagesHeld(w)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
  await new Promise((r) => setTimeout(r, QUIET_MS));
  return [...quick(), ...(await messagesHeld(w)), ...(await dataAgrees(w))];
}

export function report(r: SeedResult): string {
  if (!r.problems.length) return `seed ${r.seed} (${r.seam}/${r.variant}) ok in ${r.ms} ms`;
  return [
    `seed ${r.seed} (${r.seam}/${r.variant}) FAILED in ${r.ms} ms; rerun: SEAMS_SEED=${r.seed} npx vitest run test/seams`,
    ...r.problems.map((p) => `  - ${p}`),
    '  events:',
    ...r.timeline.map((t) => `    ${t}`),
    '  heard (ms since the seed began):',
    ...r.heard.map((h) => `    ${h}`),
  ].join('\n');
}
