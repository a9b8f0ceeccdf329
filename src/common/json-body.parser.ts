import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiException, ErrorCode } from './api-error';
import { findUnacceptableJson } from './untrusted-json';

// Fastify's own defaults: a `__proto__` key or a `constructor.prototype` path is refused, not parsed into an object
// that could poison a prototype further down (a spread, a merge). The check is a substring scan, so clean bodies
// cost one JSON.parse as before.
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * `application/json` or any `+json` type (`application/merge-patch+json`), parameters allowed. Fastify tests it
 * against the normalized header: lower case, `type/subtype; name="value"`. `application/json-seq` is not JSON
 * (records separated by RS characters) and is refused like any other type.
 */
const JSON_MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/(?:json|[\w!#$%&'*+.^`|~-]*\+json)(?:;|$)/;

/**
 * Parses request bodies sent as JSON (see JSON_MEDIA_TYPE) up to `limitBytes` (beyond it Fastify answers 413
 * without reading the rest). Any JSON value is accepted here; the validation pipe decides what each route takes.
 * An empty body is `{}`. Bad JSON, prototype-poisoning keys and what findUnacceptableJson refuses (deep nesting,
 * reserved keys, NUL characters) are answered 400 VALIDATION_ERROR, the same on every store and every route.
 *
 * Every other content type, and a body sent without one, is 415 UNSUPPORTED_MEDIA_TYPE before the body is read:
 * a cross-site form or `text/plain` POST (which a browser sends without a CORS preflight) cannot act. A declared
 * non-JSON type is refused even with an empty body, since an empty form would otherwise still close an incident.
 * A request with neither a content type nor a body never reaches a parser (Fastify runs the route directly).
 */
export function registerJsonBodyParser(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    JSON_MEDIA_TYPE,
    { parseAs: 'string', bodyLimit: limitBytes },
    (_request, body, done) => {
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
    },
  );
  fastify.addContentTypeParser('*', (request, _payload, done) =>
    done(unsupportedMediaType(request), undefined),
  );
}

function unsupportedMediaType(request: FastifyRequest): ApiException {
  const declared = request.headers['content-type'];
  const got =
    declared === undefined
      ? 'a body without Content-Type'
      : `Content-Type ${JSON.stringify(declared.slice(0, 100))}`;
  return new ApiException(
    ErrorCode.UnsupportedMediaType,
    `Request bodies must be application/json (or a +json type); got ${got}`,
    415,
  );
}
