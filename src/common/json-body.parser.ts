import type { FastifyInstance } from 'fastify';
import { ApiException, ErrorCode } from './api-error';

/**
 * Parses every request body as JSON, whatever its content type (so that a bare `curl -d` works), up to
 * `limitBytes` (beyond it Fastify answers 413 without reading the rest). Any JSON value is accepted here; the
 * validation pipe decides what each route takes. An empty body is `{}`.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limitBytes }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      done(new ApiException(ErrorCode.Validation, `Malformed JSON body: ${reason}`, 400), undefined);
    }
  });
}
