import type { IncomingMessage } from 'node:http';

/**
 * The client's address as seen on the upgrade request's TCP connection. X-Forwarded-For is deliberately not
 * honoured: without a configured list of trusted proxies any client could claim any address with it.
 */
export function clientAddress(request: IncomingMessage): string {
  const address = request.socket.remoteAddress;
  if (address === undefined) return 'unknown';
  // An IPv4 client on a dual-stack listener shows up as ::ffff:a.b.c.d; report it as the IPv4 address it is.
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
