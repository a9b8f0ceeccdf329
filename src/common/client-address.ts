import { BlockList, isIP } from 'node:net';

/** An IPv4 client on a dual-stack listener shows up as ::ffff:a.b.c.d: it is the IPv4 address it is. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** `10.0.0.0/8`, `192.168.1.10`, `fd00::/8`: a valid entry of TRUST_PROXY, or undefined. */
export function parseProxyEntry(entry: string): { address: string; prefix: number | null } | undefined {
  const [address, prefixText, extra] = entry.split('/');
  if (extra !== undefined || isIP(address) === 0) return undefined;
  if (prefixText === undefined) return { address, prefix: null };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= (isIP(address) === 6 ? 128 : 32) ? { address, prefix } : undefined;
}

/**
 * Who a request comes from, for the limits per client address (WebSocket and event-stream connections, the HTTP
 * rate limit) and the logs. The TCP peer, unless it is one of the TRUST_PROXY proxies (a load balancer in front of
 * the nodes): then the X-Forwarded-For entries are read from the right, each added by the hop before it, and the
 * first address that is not a trusted proxy is the client. X-Forwarded-For from anyone else is ignored, since any
 * client could claim any address with it; with TRUST_PROXY empty (the default) it is never read.
 */
export class ClientAddresses {
  private readonly trusted: BlockList | null;

  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) {
      this.trusted = null;
      return;
    }
    this.trusted = new BlockList();
    for (const entry of trustedProxies) {
      const parsed = parseProxyEntry(entry);
      if (parsed === undefined) throw new Error(`not an address or address/prefix: ${entry}`);
      const type = family(parsed.address);
      if (parsed.prefix === null) this.trusted.addAddress(parsed.address, type);
      else this.trusted.addSubnet(parsed.address, parsed.prefix, type);
    }
  }

  /** The client's address: the peer's, or behind trusted proxies the one they forwarded (see the class). */
  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    if (peer === undefined) return 'unknown';
    let client = plain(peer);
    if (this.trusted === null || forwardedFor === undefined || !this.isTrusted(client)) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = hops.length - 1; i >= 0; i -= 1) {
      const hop = plain(hops[i].trim());
      // Not an address: the trusted proxy that passed it on is the nearest client we know.
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    return client;
  }

  private isTrusted(address: string): boolean {
    return this.trusted !== null && this.trusted.check(address, family(address));
  }
}
