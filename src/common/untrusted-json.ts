/**
 * Nesting deeper than this is refused before anything walks a parsed body or frame: validation and transformation
 * recurse, and 10,000 nested arrays overflow their stack. No message of the API nests deeper than a handful of
 * levels.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Keys that name Object.prototype machinery. class-transformer drops them silently (a `__proto__` label vanished
 * from the stored incident; a `__proto__` filter key widened a subscription to everything) or throws on them (a
 * `constructor` label was a 500), so they are refused wherever they appear.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Finds what no request or client message of the API contains, in one walk over a parsed JSON value (with its own
 * stack, never recursing, so any depth is safe): nesting deeper than `maxDepth`, a reserved key, or a NUL character
 * in a key or a string (PostgreSQL text cannot hold one: it was a 500 there while SQLite stored it). Returns the
 * first problem found as a message naming where it is (`labels.env`, `alerts[0].labels`, or `root` for the value
 * itself), or undefined.
 */
export function findUnacceptableJson(
  value: unknown,
  root = 'the body',
  maxDepth = MAX_JSON_DEPTH,
): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? nulMessage(root) : undefined;
  const stack: [node: unknown, depth: number, path: string][] = [[value, 1, '']];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth, path] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxDepth) return `${root} is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const problem = inspectMember(node[i] as unknown, `${path}[${i}]`, depth, stack);
        if (problem !== undefined) return problem;
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      if (RESERVED_KEYS.has(key)) return `${path || root} has the reserved key "${key}"`;
      if (key.includes('\0')) return `${path || root} has a key with a NUL character (\\u0000)`;
      const problem = inspectMember(
        (node as Record<string, unknown>)[key],
        path ? `${path}.${key}` : key,
        depth,
        stack,
      );
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function inspectMember(
  member: unknown,
  path: string,
  depth: number,
  stack: [unknown, number, string][],
): string | undefined {
  if (typeof member === 'string') return member.includes('\0') ? nulMessage(path) : undefined;
  if (typeof member === 'object' && member !== null) stack.push([member, depth + 1, path]);
  return undefined;
}

function nulMessage(path: string): string {
  return `${path} must not contain a NUL character (\\u0000)`;
}
