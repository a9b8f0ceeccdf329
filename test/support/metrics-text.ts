/**
 * A /metrics body without the `node` label that every series carries (NODE_NAME, a default label): specs about a
 * series' own labels match its lines as they were before (`name{type="x"} 1`, `name 1`).
 */
export function withoutNodeLabel(text: string): string {
  return text.replace(/,node="[^"]*"\}/g, '}').replace(/\{node="[^"]*"\}/g, '');
}
