// The address a request comes from, for the per-IP limits and for logs (--trust-proxy).
//
// Behind a reverse proxy every socket's peer is the proxy, so without help every client shares
// one per-IP budget. The client's address travels in X-Forwarded-For, which anyone can send; it
// is read only when the socket's peer is a configured proxy, and then from the right: each hop
// appends the address it saw, so walking leftwards past trusted proxies, the first address that
// is not one is the client. What a client forges itself sits further left and is never reached.
// A hop that is not an IP address ends the walk at the last proxy (a broken chain is not trusted).
//
// Matching uses node:net's BlockList (addresses and CIDR subnets, IPv4-mapped IPv6 included).

import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` -> `10.0.0.1`: one spelling per client, in logs and as a limiter key. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parse one --trust-proxy entry (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`); throws a plain Error naming it. */
export function parseProxyEntry(entry: string): { address: string; prefix: number | null; family: 'ipv4' | 'ipv6' } {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const v = isIP(address);
  if (v === 0) throw new Error(`\`${entry}\` is not an IP address or CIDR subnet`);
  const family = v === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) return { address, prefix: null, family };
  const text = entry.slice(slash + 1);
  const prefix = Number(text);
  if (!/^\d{1,3}$/.test(text) || prefix > (v === 4 ? 32 : 128)) throw new Error(`\`${entry}\`: bad prefix length`);
  return { address, prefix, family };
}

export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** `entries` were validated by the option parser (parseProxyEntry). */
  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const e of entries) {
      const { address, prefix, family } = parseProxyEntry(e);
      if (prefix === null) this.#list.addAddress(address, family);
      else this.#list.addSubnet(address, prefix, family);
    }
  }

  /** Is `address` (a socket peer or a forwarded hop) one of the configured proxies? */
  trusts(address: string | undefined): boolean {
    if (this.#empty || !address) return false;
    const a = normalizeAddress(address);
    const v = isIP(a);
    return v !== 0 && this.#list.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client's address: the socket's peer, or the forwarded one when that peer is a trusted proxy. */
  clientAddress(req: IncomingMessage): string {
    let addr = normalizeAddress(req.socket.remoteAddress ?? 'unknown');
    if (!this.trusts(addr)) return addr;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i]!.trim());
      if (isIP(hop) === 0) break;
      addr = hop;
      if (!this.trusts(hop)) break;
    }
    return addr;
  }
}
