// The package version, read from package.json once. The file sits one level up from the sources
// (src/ in a clone) or two (dist/src/ in the installed package), so walk up to the first
// package.json named sdkgate rather than hard-code a relative path.

import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (let up = '../'; up.length <= 12; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sdkgate' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not here; one level up.
    }
  }
  return '0.0.0-unknown';
}

export const VERSION = readVersion();
