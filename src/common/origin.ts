/** In an origin list (WS_ALLOWED_ORIGINS, CORS_ORIGINS): every origin. */
export const ANY_ORIGIN = '*';

/**
 * The serialized origin of `value` (`scheme://host[:port]`: lower case, default port dropped, as browsers send it)
 * when it is an http or https origin and nothing more (no path, query, fragment or credentials); otherwise null.
 * `null` (what a sandboxed page sends) and other schemes are not origins anything can be allowed for.
 */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    return null;
  }
  return url.origin;
}

/** The origins a browser page may come from: a list of normalized origins, or any origin with `*`. */
export class OriginAllowList {
  readonly allowsAny: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.allowsAny = origins.includes(ANY_ORIGIN);
    this.origins = new Set(origins);
  }

  get isEmpty(): boolean {
    return !this.allowsAny && this.origins.size === 0;
  }

  /** Whether an `Origin` header value is allowed: with `*` any value (`null` included), else one of the list. */
  allows(originHeader: string): boolean {
    if (this.allowsAny) return true;
    const origin = normalizeOrigin(originHeader);
    return origin !== null && this.origins.has(origin);
  }
}
