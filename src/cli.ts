// sdkgate [flags]            start the gateway (flags: README "Options", or --help)
// sdkgate imserver [flags]   run the embedded IM server alone
//
// Exit codes: 0 after a graceful drain on SIGTERM/SIGINT, 1 when startup fails, 2 for a bad
// flag or env value (the message names it).

import { isGatewayError } from './errors.ts';
import type { Gateway } from './index.ts';
import { optionsTable, resolveOptions, type GatewayOptions } from './options.ts';

const USAGE = `usage: sdkgate [flags]          start the gateway
       sdkgate imserver [flags] run the embedded OpenIM-compatible server alone

Flags take one dash or two, and --flag value or --flag=value. Every flag has an env twin.
`;

async function runImServer(argv: string[]): Promise<void> {
  let mod: typeof import('./imserver/cli.ts');
  try {
    mod = await import('./imserver/cli.ts');
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('sdkgate: the embedded IM server is not in this build (src/imserver/cli.ts is missing)\n');
      process.exit(1);
    }
    throw e;
  }
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
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

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
} else if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
  process.stdout.write(`${USAGE}\n${optionsTable()}\n`);
} else {
  await runGateway(argv);
}
