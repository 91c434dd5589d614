// sdkgate [flags]            start the gateway (flags: README "Options", or --help)
// sdkgate imserver [flags]   run the embedded IM server alone
// sdkgate --version | --help
//
// Signals (docs/operations.md):
//   SIGTERM, SIGINT  graceful drain, then exit 0; a second one exits 1 at once
//   SIGHUP           reload: resolve the options again (flags, env, the config file re-read) and
//                    apply the log level and the limits file; other changed options are logged as
//                    needing a restart; a bad config or limits file is logged and changes nothing
//
// Exit codes: 0 after a graceful drain, 1 when startup fails, 2 for a bad flag, env value or
// config file entry (the message names it).

import { isGatewayError } from './errors.ts';
import type { Gateway } from './index.ts';
import { optionsHelp, resolveOptions, type GatewayOptions } from './options.ts';
import { VERSION } from './version.ts';

const USAGE = `usage: sdkgate [flags]          start the gateway
       sdkgate imserver [flags] run the embedded OpenIM-compatible server alone
       sdkgate --version

Flags take one dash or two, and --flag value or --flag=value. Precedence:
flag > env twin > --config file > default. SIGTERM/SIGINT drain; SIGHUP reloads
the log level and the limits file.
`;

async function runImServer(argv: string[]): Promise<void> {
  const mod = await import('./imserver/cli.ts');
  try {
    mod.parseImServerArgs(argv);
  } catch (e) {
    process.stderr.write(`sdkgate imserver: ${(e as Error).message}\n`);
    process.exit(2);
  }
  try {
    await mod.runImServerCli(argv);
  } catch (e) {
    process.stderr.write(`sdkgate imserver: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

async function runGateway(argv: string[]): Promise<void> {
  let options: GatewayOptions;
  try {
    options = resolveOptions(argv, process.env);
  } catch (e) {
    process.stderr.write(`sdkgate: ${(e as Error).message}\n`);
    process.exit(2);
  }

  // Signal handlers go in before anything is announced: stdout to a pipe is synchronous on
  // Linux, so a supervisor can read "listening on" and signal us before the next statement runs.
  // A signal during startup is honoured as soon as the gateway exists.
  let gateway: Gateway | undefined;
  let stopping = false;
  const drain = (g: Gateway): void => {
    g.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`sdkgate: drain failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`sdkgate: ${signal} again; exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    if (gateway) drain(gateway);
  };
  const reload = (): void => {
    const g = gateway;
    if (!g || stopping) return;
    const log = g.log;
    try {
      const next = resolveOptions(argv, process.env);
      const { needsRestart } = g.reload(next);
      g.metrics.configReloads.inc({ result: 'ok' });
      if (needsRestart.length > 0) log.warn({ flags: needsRestart }, 'SIGHUP: these changed options take effect only after a restart');
      log.info({ logLevel: next.logLevel }, 'SIGHUP: reloaded');
    } catch (e) {
      g.metrics.configReloads.inc({ result: 'failed' });
      log.error({ err: (e as Error).message }, 'SIGHUP: reload refused; the running configuration stays');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', reload);
  // Started by bin/sdkgate.js over an IPC channel (Node < 22.18 re-exec): if that parent dies,
  // even by SIGKILL, the channel closes; drain rather than live on as an orphan.
  if (process.channel) process.once('disconnect', () => stop('parent exit'));

  const { createGateway } = await import('./index.ts');
  try {
    gateway = await createGateway(options);
  } catch (e) {
    process.stderr.write(`sdkgate: cannot start: ${(e as Error).message}\n`);
    process.exit(isGatewayError(e, 'GW_OPTIONS_INVALID') ? 2 : 1);
  }
  // The listen address goes to stdout too, for scripts that wait for it (the log has it as JSON).
  process.stdout.write(`sdkgate listening on ${gateway.url}\n`);
  if (!options.apiAddress) process.stdout.write(`sdkgate: embedded IM server at ${gateway.apiAddress} (message gateway ${gateway.wsAddress})\n`);
  if (gateway.demoUrl) process.stdout.write(`sdkgate: demo chat at ${gateway.demoUrl} (open it in two browser windows)\n`);
  if (stopping) drain(gateway);
}

const argv = process.argv.slice(2);
if (argv[0] === 'imserver') {
  await runImServer(argv.slice(1));
} else if (argv.some((a) => a === '--version' || a === '-version' || a === '-v')) {
  process.stdout.write(`sdkgate ${VERSION}\n`);
} else if (argv.some((a) => a === '--help' || a === '-help' || a === '-h')) {
  process.stdout.write(`${USAGE}\n${optionsHelp()}`);
} else {
  await runGateway(argv);
}
