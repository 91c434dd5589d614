// The listen-host trade-off. On 127.0.0.1 (the default) only this machine reaches the IM server,
// so a browser elsewhere cannot call apiAddr (uploads, object URLs). On another address the
// REST API is open to that network, and `/auth/get_admin_token` hands an admin token to anyone
// who knows the secret: with OpenIM's well-known default secret, to anyone at all.

import { isIP } from 'node:net';
import { DEFAULT_SECRET } from './context.ts';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The warning to print at start, or undefined when there is nothing to warn about. */
export function exposureWarning(host: string, secret: string): string | undefined {
  if (isLoopbackHost(host) || secret !== DEFAULT_SECRET) return undefined;
  return (
    `SECURITY: the IM server listens on ${host} with OpenIM's well-known default secret: anyone who can reach ` +
    'this address can get an admin token (/auth/get_admin_token) and read or send every message. Set a secret ' +
    '(--imserver-secret, or --secret for `sdkgate imserver`) or listen on 127.0.0.1.'
  );
}
