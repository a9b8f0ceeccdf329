import type { IncomingMessage } from 'node:http';
import { OriginAllowList, normalizeOrigin } from '../../common/origin';

/**
 * Which browser pages may open a WebSocket (cross-site WebSocket hijacking: a browser lets any page open one, and
 * the upgrade carries the page's `Origin`). An upgrade without `Origin` is not from a browser page and passes;
 * one from the server's own origin passes; any other needs its origin in WS_ALLOWED_ORIGINS (`*`: any).
 */
export class UpgradeOriginPolicy {
  private readonly allowList: OriginAllowList;

  constructor(allowedOrigins: readonly string[]) {
    this.allowList = new OriginAllowList(allowedOrigins);
  }

  allows(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    return isSameOrigin(origin, request.headers.host) || this.allowList.allows(origin);
  }
}

/**
 * Whether `Origin` names the host the request was sent to. The scheme is taken from the origin itself, http or
 * https alike: behind a TLS-terminating proxy the server sees plain HTTP while the page is https, and the Host
 * header (host and port) is what the browser connected to either way.
 */
export function isSameOrigin(originHeader: string, host: string | undefined): boolean {
  const origin = normalizeOrigin(originHeader);
  if (origin === null || host === undefined || host === '') return false;
  const scheme = origin.slice(0, origin.indexOf(':'));
  return normalizeOrigin(`${scheme}://${host}`) === origin;
}
