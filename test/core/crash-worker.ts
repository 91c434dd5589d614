// Runs one core in a worker thread so a test can kill it mid-work (worker.terminate()).

import { parentPort, workerData } from 'node:worker_threads';
import { createCore } from '../../src/core/index.ts';

const d = workerData as { userID: string; dataDir: string; apiAddress: string; wsAddress: string; token: string };
const core = await createCore({
  userID: d.userID,
  platformID: 5,
  dataDir: d.dataDir,
  apiAddress: d.apiAddress,
  wsAddress: d.wsAddress,
  emit: (event, data) => parentPort!.postMessage({ event, data: data === undefined ? '' : JSON.stringify(data) }),
  log: { debug() {}, info() {}, warn() {}, error() {} },
});
await core.functions.Login!({ operationID: 'crash-login', signal: new AbortController().signal }, d.userID, d.token);
