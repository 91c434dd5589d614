#!/usr/bin/env node
// The `sdkgate` command. Two layouts:
//
//   installed package   dist/src/cli.js exists and src/ does not (package.json `files`): plain JS,
//                       imported in this process. This is the production path (`npx sdkgate`).
//   a git clone         src/cli.ts runs from the sources, no build step. Node >= 22.18 strips
//                       types by default: imported in this process too. Node 22.13–22.17 needs
//                       --experimental-strip-types, so a child node is started with it; this
//                       process then forwards SIGTERM, SIGINT and SIGHUP to it and exits with
//                       its status, and the child drains if this process dies (IPC disconnect),
//                       so neither outlives the other. (Node has no exec(): process.execve
//                       only arrived in 23.11.)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/src/cli.js', import.meta.url);

if (!existsSync(source)) {
  await import(built.href);
} else if (process.features.typescript) {
  await import(source.href);
} else {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', ...process.execArgv, fileURLToPath(source), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches this process only, which forwards it
    // once (a child in our group would get it twice and take the second as "exit now").
    detached: true,
  });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => forward(signal));
  child.on('error', (e) => {
    process.stderr.write(`sdkgate: cannot start node: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so our parent sees what the child saw.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
