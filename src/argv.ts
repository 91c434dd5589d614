// The one argv parser, for `sdkgate` (src/options.ts) and `sdkgate imserver` (src/imserver/cli.ts).
//
// Accepted: `--flag value`, `--flag=value`, and the same with one dash (`-sdk_ws_port 10003`, the
// original Go server's spelling, which existing deployments keep in their command lines). A
// boolean flag may stand alone (`--fault-injection`) or take a value (`--fault-injection=false`).
//
// node:util parseArgs was evaluated and not used: it reads `-sdk_ws_port` as the short flags
// `-s -d -k ...`, refuses a value on a boolean (`--fault-injection=false`), and reports errors as
// prose that would have to be matched with regexes to name the flag. Adapting it took more lines
// than this loop.

const BOOL_WORD = /^(true|false|1|0|yes|no|on|off)$/i;

/** A command-line error; `flag` is the flag it concerns (without dashes), when there is one. */
export class ArgvError extends Error {
  readonly flag: string | undefined;
  constructor(message: string, flag?: string) {
    super(message);
    this.name = 'ArgvError';
    this.flag = flag;
  }
}

/**
 * Split argv into flag name -> raw text (the last occurrence wins). `flags` holds every accepted
 * name; anything else is an ArgvError naming it. A flag for which `isBoolean` says true may stand
 * without a value (then it means `true`). Values are not validated here.
 */
export function parseArgv<V>(argv: readonly string[], flags: ReadonlyMap<string, V>, isBoolean: (spec: V) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ArgvError(`unexpected argument \`${arg}\``);
    const name = m[1]!;
    const spec = flags.get(name);
    if (spec === undefined) throw new ArgvError(`unknown flag \`--${name}\` (see --help)`, name);
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (isBoolean(spec) && (next === undefined || !BOOL_WORD.test(next))) {
        value = 'true';
      } else if (next === undefined) {
        throw new ArgvError(`--${name} needs a value`, name);
      } else {
        value = next;
        i++;
      }
    }
    out.set(name, value);
  }
  return out;
}
