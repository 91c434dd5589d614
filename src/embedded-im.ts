// The embedded IM server as the gateway's upstream: started when no --openIM_api_address is
// given, and restarted if its thread dies, on the same ports and data dir, so the addresses the
// sessions already use stay valid (their cores reconnect with their own backoff). A real OpenIM
// deployment is supervised by its operator; this one is ours to keep alive.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ImServerHandle, ImServerOptions } from './imserver/index.ts';
import type { GatewayOptions } from './options.ts';

export interface EmbeddedIm {
  readonly apiAddress: string;
  readonly wsAddress: string;
  close(): Promise<void>;
}

export type StartIm = (o: ImServerOptions) => Promise<ImServerHandle>;

const MiB = 1024 * 1024;

/** Restart attempts after one crash before giving up (each waits longer: 0.2, 0.4 … 3.2 s). */
const MAX_ATTEMPTS = 5;

export async function startEmbeddedIm(options: GatewayOptions, log: Logger, start: StartIm, logBindings?: Record<string, string>): Promise<EmbeddedIm> {
  const base = {
    host: options.imHost,
    dataDir: options.imDataDir,
    secret: options.imSecret,
    logLevel: options.logLevel,
    objects: { maxObjectBytes: options.imMaxObjectMb * MiB, quotaBytes: options.imObjectQuotaMb * MiB },
    ...(options.imPublicUrl ? { publicUrl: options.imPublicUrl } : {}),
    ...(logBindings ? { logBindings } : {}),
  };
  let current = await start({ ...base, apiPort: options.imApiPort, wsPort: options.imWsPort });
  // Port 0 picked free ports: a restart must get the same ones back.
  const ports = { apiPort: Number(new URL(current.apiAddress).port), wsPort: Number(new URL(current.wsAddress).port) };
  let closing = false;

  const watch = (h: ImServerHandle): void => {
    void h.exited.then(async ({ code }) => {
      if (closing || h !== current) return;
      log.error({ code }, 'embedded IM server exited; restarting');
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !closing; attempt++) {
        await sleep(100 * 2 ** attempt);
        if (closing) return;
        try {
          current = await start({ ...base, ...ports });
          log.info({ attempt }, 'embedded IM server restarted');
          watch(current);
          return;
        } catch (err) {
          log.error({ err, attempt }, 'embedded IM server restart failed');
        }
      }
      if (!closing) log.fatal('embedded IM server could not be restarted; sessions cannot reach their upstream');
    });
  };
  watch(current);
  log.info({ apiAddress: current.apiAddress, wsAddress: current.wsAddress }, 'embedded IM server started');

  return {
    apiAddress: current.apiAddress,
    wsAddress: current.wsAddress,
    async close() {
      closing = true;
      await current.close();
    },
  };
}
