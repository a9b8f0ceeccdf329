import { Inject, Injectable } from '@nestjs/common';
import { isIP } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ValidationError } from '../../common/api-error';
import { DnsResolver, ResolvedAddress } from './dns-resolver';
import { bareHost, isInternalAddress, isInternalHostName } from './internal-address';

/** The failure reason of an attempt refused because its destination is internal. */
export const BLOCKED_DESTINATION = 'blocked_destination';

/** Where a vetted request may connect: every address the host resolved to, all of them allowed. */
export type VettedDestination =
  { allowed: true; addresses: ResolvedAddress[] } | { allowed: false; addresses?: undefined };

/**
 * Keeps outgoing requests (notification channels, escalation webhook targets, playbook webhook steps) away from the
 * server's own network, so that whoever may configure a URL cannot make the server reach its database, the cloud
 * metadata service or other internal hosts. Checked twice: when a definition is saved (IP literals and names that
 * can only be internal, without asking DNS), and before every request, on the addresses the host resolves to then;
 * the request connects to exactly those addresses, so a second resolution cannot swap in another one.
 * `WEBHOOK_ALLOW_PRIVATE=true` turns the check off; hosts in `WEBHOOK_ALLOWED_HOSTS` are exempt from it.
 */
@Injectable()
export class DestinationGuard {
  private readonly allowPrivate: boolean;
  private readonly allowedHosts: ReadonlySet<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly dns: DnsResolver,
  ) {
    this.allowPrivate = config.outgoing.allowPrivate;
    this.allowedHosts = new Set(config.outgoing.allowedHosts.map(normalizeHost));
  }

  /** Throws 400 when `url` (already validated as an http(s) URL) names an internal host; `field` names it. */
  assertAllowed(url: string, field: string): void {
    const host = hostOf(url);
    if (host === null || this.exempt(host)) return;
    if (isIP(host) !== 0 ? isInternalAddress(host) : isInternalHostName(host)) {
      throw new ValidationError(
        `${field}: ${host} is an internal address (loopback, private, link-local or unspecified), which outgoing requests may not reach`,
      );
    }
  }

  /**
   * Resolves the host of `url` and says whether a request may go there: refused when any address is internal
   * (a name that resolves to both a public and an internal address could be steered to the internal one).
   * Rejects when the name does not resolve.
   */
  async vet(url: URL): Promise<VettedDestination> {
    const host = bareHost(url.hostname);
    const family = isIP(host);
    const addresses: ResolvedAddress[] =
      family === 4 || family === 6 ? [{ address: host, family }] : await this.dns.resolve(host);
    if (addresses.length === 0) throw new Error(`${host} did not resolve`);
    if (this.exempt(host)) return { allowed: true, addresses };
    if (addresses.some((a) => isInternalAddress(a.address))) return { allowed: false };
    return { allowed: true, addresses };
  }

  private exempt(host: string): boolean {
    return this.allowPrivate || this.allowedHosts.has(host);
  }
}

/** The host of an http(s) URL as a bare, normalized name or address; null when it does not parse. */
function hostOf(url: string): string | null {
  try {
    return bareHost(new URL(url).hostname);
  } catch {
    return null;
  }
}

/** An allow-list entry written the way a URL's hostname reads (`0x7f000001` -> `127.0.0.1`, `::FFFF:...` short). */
function normalizeHost(entry: string): string {
  try {
    return bareHost(new URL(`http://${isIP(entry) === 6 ? `[${entry}]` : entry}/`).hostname);
  } catch {
    return entry;
  }
}
