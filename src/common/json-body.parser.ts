import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiException, ErrorCode } from './api-error';

// Fastify's own defaults: a `__proto__` key or a `constructor.prototype` path is refused, not parsed into an object
// that could poison a prototype further down (a spread, a merge). The check is a substring scan, so clean bodies
// cost one JSON.parse as before.
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Nesting deeper than this is refused before anything walks the body: validation and transformation recurse, and
 * 10,000 nested arrays overflow their stack. No request of the API nests deeper than a handful of levels.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses every request body as JSON, whatever its content type (so that a bare `curl -d` works), up to
 * `limitBytes` (beyond it Fastify answers 413 without reading the rest). Any JSON value is accepted here; the
 * validation pipe decides what each route takes. An empty body is `{}`. Bad JSON, prototype-poisoning keys and
 * nesting beyond MAX_JSON_DEPTH are answered 400 VALIDATION_ERROR.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limitBytes }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, {});
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, null, PARSE_OPTIONS);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return done(new ApiException(ErrorCode.Validation, `Malformed JSON body: ${reason}`, 400), undefined);
    }
    if (nestingExceeds(parsed, MAX_JSON_DEPTH)) {
      const message = `JSON body nested deeper than ${MAX_JSON_DEPTH} levels`;
      return done(new ApiException(ErrorCode.Validation, message, 400), undefined);
    }
    done(null, parsed);
  });
}

/** Whether objects and arrays nest more than `maxDepth` levels; walks with its own stack, never recursing. */
export function nestingExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
