import { ValidationError } from '../../common/api-error';

/**
 * User-configured destinations (channels, escalation webhook targets, playbook webhooks) carry credentials, in
 * request headers and in the URL's user info (`https://user:pass@host/`): the API never returns them. A value
 * sent back masked means "keep the stored one", so a client can GET, edit and PUT a definition without knowing
 * its secrets, but only while the destination stays the same: a secret is never sent somewhere it was not meant for.
 */
export const MASKED = '********';

export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, MASKED]));
}

/**
 * `url` with the password inside it masked (`https://user:********@host/`), or the user name when it stands alone
 * (a token: `https://********@host/`). A URL without credentials is returned exactly as given.
 */
export function maskUrl(url: string): string {
  const parsed = parse(url);
  if (!parsed || (parsed.username === '' && parsed.password === '')) return url;
  if (parsed.password !== '') parsed.password = MASKED;
  else parsed.username = MASKED;
  return parsed.href;
}

/** A destination: where a request goes and the headers it carries. */
export interface SecretDestination<U extends string | null = string | null> {
  url: U;
  headers: Record<string, string>;
}

/**
 * The destination to store from the one a client sent (`incoming`), with masked values replaced by the stored ones
 * (`stored`: the same destination before this change, if any). 400 VALIDATION_ERROR, naming the field, when a
 * masked value cannot be kept:
 * - masked credentials in the URL, when the rest of the URL differs from the stored one;
 * - a masked header, when the URL differs from the stored one or there is no stored value of that header.
 * `field` prefixes the field names in the messages (e.g. `steps.2.action.`).
 */
export function restoreSecrets<U extends string | null>(
  incoming: SecretDestination<U>,
  stored: SecretDestination | undefined,
  field = '',
): SecretDestination<U> {
  const url = restoreUrl(incoming.url, stored?.url ?? null, field);
  const sameDestination =
    stored !== undefined && url !== null && stored.url !== null && sameUrl(url, stored.url);
  const previous = new Map(Object.entries(stored?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const headers = Object.fromEntries(
    Object.entries(incoming.headers).map(([name, value]) => {
      if (value !== MASKED) return [name, value];
      const kept = previous.get(name.toLowerCase());
      if (kept === undefined) {
        throw new ValidationError(
          `${field}headers.${name}: "${MASKED}" keeps the stored value, and there is none; send the value`,
        );
      }
      if (!sameDestination) {
        throw new ValidationError(
          `${field}headers.${name}: the destination URL changed, so the stored value is not kept; send the value again`,
        );
      }
      return [name, kept];
    }),
  );
  return { url, headers };
}

function restoreUrl<U extends string | null>(url: U, stored: string | null, field: string): U {
  const parsed = url === null ? null : parse(url);
  const masked =
    parsed !== null && (parsed.password === MASKED || (parsed.password === '' && parsed.username === MASKED));
  if (!masked) return url;
  // The stored URL, masked the way the API shows it, must be what came back: only then is the secret kept.
  if (stored !== null && sameUrl(maskUrl(stored), url as string)) return stored as U;
  throw new ValidationError(
    `${field}url: "${MASKED}" keeps the stored credentials only while the rest of the URL is unchanged; send them again`,
  );
}

function sameUrl(a: string, b: string): boolean {
  return (parse(a)?.href ?? a) === (parse(b)?.href ?? b);
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
