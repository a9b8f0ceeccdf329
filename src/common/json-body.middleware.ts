import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { bodyParserError } from './api-exception.filter';

/**
 * Parses every request body as JSON (whatever its content type, so that a bare `curl -d` works) with a size limit,
 * and answers parse failures itself with the contract's error body: 400 for malformed JSON, 413 when too large.
 */
export function jsonBodyMiddleware(limitBytes: number): RequestHandler {
  const parse = json({ limit: limitBytes, type: () => true, strict: false });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return next();
      const failure = err as { status?: number; type?: string; message?: string };
      const body = bodyParserError({
        status: failure.status ?? 400,
        type: failure.type,
        message: failure.message ?? 'invalid body',
      });
      // The rest of an oversized body is not read; close the connection so it is not mistaken for a next request.
      if (body.error.status === 413) res.setHeader('Connection', 'close');
      res.status(body.error.status).json(body);
    });
  };
}
