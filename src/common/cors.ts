import type { FastifyCorsOptions } from '@fastify/cors';
import { OriginAllowList } from './origin';

/** What a browser page of an allowed origin may send (the preflight's answer). */
const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ALLOWED_HEADERS = ['authorization', 'content-type'];
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECS = 600;

/**
 * CORS for the REST API (`app.enableCors`, which runs @fastify/cors in an onRequest hook, so a preflight is
 * answered before rate limiting and authentication). Only CORS_ORIGINS get CORS headers: a request from any other
 * origin, and a preflight from one (then 404), get none, and the browser keeps the page from reading or sending.
 * Credentials are bearer tokens, never cookies, so `Access-Control-Allow-Credentials` is not sent.
 */
export function corsOptions(origins: readonly string[]): FastifyCorsOptions {
  const allowList = new OriginAllowList(origins);
  return {
    origin: (origin, callback) =>
      callback(
        null,
        origin !== undefined && allowList.allows(origin) ? (allowList.allowsAny ? '*' : origin) : false,
      ),
    methods: ALLOWED_METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECS,
  };
}
