import { isIP } from 'node:net';

/**
 * IPv4 ranges an outgoing request must not reach: "this network" and unspecified, RFC 1918 private, CGNAT
 * (100.64/10, private to the carrier or the cloud), loopback, link-local (cloud metadata at 169.254.169.254), IETF
 * protocol assignments, benchmarking, multicast and reserved (up to 255.255.255.255).
 */
const INTERNAL_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const V4_RANGES = INTERNAL_V4.map(([base, bits]) => ({
  base: ipv4ToNumber(base),
  mask: bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0,
}));

/**
 * True when `address` (an IPv4 or IPv6 literal, without brackets) is loopback, private, link-local, unique-local,
 * unspecified, multicast or reserved: anything but a public unicast address. IPv6 forms that carry an IPv4 address
 * (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address.
 * Anything that is not an IP literal is not judged here (false).
 */
export function isInternalAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4:
      return isInternalV4(ipv4ToNumber(address));
    case 6:
      return isInternalV6(ipv6ToGroups(address));
    default:
      return false;
  }
}

function isInternalV4(value: number): boolean {
  return V4_RANGES.some(({ base, mask }) => (value & mask) >>> 0 === base);
}

function isInternalV6(g: number[]): boolean {
  const embeddedV4 = (high: number, low: number): number => ((high << 16) | low) >>> 0;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  // ::/96 holds the unspecified (::) and loopback (::1) addresses and the deprecated IPv4-compatible form.
  if (zeros(0, 6)) {
    const low = embeddedV4(g[6], g[7]);
    return low <= 1 || isInternalV4(low);
  }
  if (zeros(0, 5) && g[5] === 0xffff) return isInternalV4(embeddedV4(g[6], g[7])); // ::ffff:0:0/96 mapped
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return isInternalV4(embeddedV4(g[6], g[7])); // NAT64
  if (g[0] === 0x2002) return isInternalV4(embeddedV4(g[1], g[2])); // 6to4
  if ((g[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique-local
  if ((g[0] & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g[0] & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated, still private)
  if ((g[0] & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  if (g[0] === 0x0100 && zeros(1, 4)) return true; // 100::/64 discard
  return false;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
}

/** The eight 16-bit groups of a valid IPv6 literal (`::` expanded, a trailing dotted quad converted). */
function ipv6ToGroups(address: string): number[] {
  let text = address.split('%')[0]; // a zone index (fe80::1%eth0) does not change the address
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToNumber(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const first = parse(head);
  if (tail === undefined) return first;
  const last = parse(tail);
  return [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/** Names that only ever mean a machine on the server's own network; refused without asking DNS. */
const INTERNAL_SUFFIXES = ['.localhost', '.internal', '.local', '.home.arpa'];

/**
 * True for host names that name the server itself or its own network: `localhost` and `*.localhost`, the reserved
 * private-use suffixes (`.internal`, which holds `metadata.google.internal`; `.local`; `.home.arpa`), and
 * single-label names, which only resolve through the server's hosts file or search domains. `host` is a URL
 * hostname (lower case); a trailing dot does not change the name.
 */
export function isInternalHostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === 'localhost' || !name.includes('.')) return true;
  return INTERNAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** A URL hostname as the address or name it stands for: IPv6 brackets removed. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
