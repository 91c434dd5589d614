// Worker-thread entry: runs createImServer off the caller's event loop and speaks a tiny
// protocol with index.ts over parentPort.

import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.ts';
import { createImServer, type RunningImServer } from './server.ts';
import type { ImServerOptions } from './index.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('imserver worker must run in a worker thread');

const opts = workerData as ImServerOptions;
let running: RunningImServer | undefined;

function post(m: FromWorker): void {
  port!.postMessage(m);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'requestLog') {
    post({ type: 'requestLog', id: m.id, entries: running?.context.requestLog?.entries() });
    return;
  }
  if (m.type !== 'close') return;
  const done = running ? running.close() : Promise.resolve();
  done.then(
    () => post({ type: 'closed' }),
    (e: unknown) => post({ type: 'closed', error: String(e) }),
  );
});

createImServer({
  apiPort: opts.apiPort,
  wsPort: opts.wsPort,
  host: opts.host,
  dataDir: opts.dataDir,
  secret: opts.secret,
  logLevel: opts.logLevel,
  requestLog: opts.requestLog,
  objects: opts.objects,
  publicUrl: opts.publicUrl,
  msgGateway: { kickSameToken: opts.kickSameToken === true },
  ...(opts.logBindings ? { logger: createLogger(opts.logLevel ?? 'info').child(opts.logBindings) } : {}),
}).then(
  (s) => {
    running = s;
    post({ type: 'ready', apiPort: s.apiPort, wsPort: s.wsPort, host: s.host });
  },
  (e: unknown) => post({ type: 'failed', error: e instanceof Error ? e.message : String(e) }),
);
