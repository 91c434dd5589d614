// The embedded IM server is restarted when its thread dies, on the same ports (so the addresses
// the sessions hold stay valid), and never after a deliberate close.

import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startEmbeddedIm, type StartIm } from '../src/embedded-im.ts';
import type { ImServerHandle, ImServerOptions } from '../src/imserver/index.ts';
import { resolveOptions } from '../src/options.ts';

interface Fake { opts: ImServerOptions; crash(): void; closed: boolean }

function fakeStart(): { start: StartIm; started: Fake[] } {
  const started: Fake[] = [];
  const start: StartIm = async (opts) => {
    let exit!: (v: { code: number }) => void;
    const exited = new Promise<{ code: number }>((r) => (exit = r));
    const f: Fake = { opts, crash: () => exit({ code: 1 }), closed: false };
    started.push(f);
    // Port 0 means "any free port": the fake picks fixed ones, as the OS would.
    const h: ImServerHandle = {
      apiAddress: `http://127.0.0.1:${opts.apiPort || 40001}`,
      wsAddress: `ws://127.0.0.1:${opts.wsPort || 40002}`,
      exited,
      requestLog: async () => [],
      close: async () => {
        f.closed = true;
        exit({ code: 0 });
      },
    };
    return h;
  };
  return { start, started };
}

const silent = pino({ level: 'silent' });
const options = resolveOptions([], {}, { imApiPort: 0, imWsPort: 0, logLevel: 'silent' });

// The restart backoff sleeps with node:timers/promises, which fake timers do not reach: real time.

describe('embedded IM server', () => {
  it('restarts a crashed server on the ports it first got', async () => {
    const { start, started } = fakeStart();
    const im = await startEmbeddedIm(options, silent, start);
    expect(im.apiAddress).toBe('http://127.0.0.1:40001');
    started[0]!.crash();
    await expect.poll(() => started.length).toBe(2);
    expect(started[1]!.opts).toMatchObject({ apiPort: 40001, wsPort: 40002, dataDir: options.imDataDir });
    started[1]!.crash(); // and again: every generation is watched
    await expect.poll(() => started.length).toBe(3);
    await im.close();
    expect(started[2]!.closed).toBe(true);
  });

  it('does not restart after close()', async () => {
    const { start, started } = fakeStart();
    const im = await startEmbeddedIm(options, silent, start);
    await im.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(started.length).toBe(1);
  });
});
