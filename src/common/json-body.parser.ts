import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiException, ErrorCode } from './api-error';
import { findUnacceptableJson } from './untrusted-json';

// Fastify's own defaults: a `__proto__` key or a `constructor.prototype` path is refused, not parsed into an object
// that could poison a prototype further down (a spread, a merge). The check is a substring scan, so clean bodies
// cost one JSON.parse as before.
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses every request body as JSON, whatever its content type (so that a bare `curl -d` works), up to
 * `limitBytes` (beyond it Fastify answers 413 without reading the rest). Any JSON value is accepted here; the
 * validation pipe decides what each route takes. An empty body is `{}`. Bad JSON, prototype-poisoning keys and
 * what findUnacceptableJson refuses (deep nesting, reserved keys, NUL characters) are answered 400 VALIDATION_ERROR,
 * the same on every store and every route.
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
    const problem = findUnacceptableJson(parsed);
    if (problem !== undefined) {
      return done(new ApiException(ErrorCode.Validation, problem, 400), undefined);
    }
    done(null, parsed);
  });
}
