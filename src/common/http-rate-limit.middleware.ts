import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ErrorCode, errorBody } from './api-error';
import { TokenBuckets } from './token-bucket';

/**
 * Per-client flood protection for the API: beyond `ratePerSecond` requests per second (bursts up to twice that)
 * a client gets 429 RATE_LIMIT_EXCEEDED with Retry-After, before its body is even read. Health and metrics
 * are never limited. The client is the TCP peer address: behind a proxy, limit at the proxy.
 */
export function httpRateLimitMiddleware(ratePerSecond: number): RequestHandler {
  const buckets = new TokenBuckets(ratePerSecond, ratePerSecond * 2);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/v1/')) return next();
    const wait = buckets.take(req.socket.remoteAddress ?? 'unknown');
    if (wait === 0) return next();
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(wait))));
    // The unread body stays on the socket; close it after answering so it is not taken for the next request.
    res.setHeader('Connection', 'close');
    res.status(429).json(errorBody(ErrorCode.RateLimitExceeded, 'Too many requests; retry later', 429));
  };
}
