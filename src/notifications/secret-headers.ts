/**
 * User-configured request headers (channels, escalation webhook targets, playbook webhooks) usually carry
 * credentials: the API never returns their values, and a value sent back masked means "keep the stored one", so a
 * client can GET, edit and PUT a definition without knowing its secrets.
 */
export const MASKED = '********';

export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, MASKED]));
}

/** `incoming` with every masked value replaced by the stored value of the same header (case-insensitive). */
export function restoreMaskedHeaders(
  incoming: Record<string, string>,
  stored: Record<string, string> | undefined,
): Record<string, string> {
  const previous = new Map(Object.entries(stored ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.fromEntries(
    Object.entries(incoming).map(([name, value]) => [
      name,
      value === MASKED ? (previous.get(name.toLowerCase()) ?? value) : value,
    ]),
  );
}
