import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody, ErrorCode, codeForStatus, errorBody } from '../api-error';
import { ErrorBodySchema } from './error-body.schema';

/** The error statuses the API answers with its error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

/** A status with the default description, or a status and what it means for this operation. */
export type ErrorResponseSpec = ErrorStatus | readonly [ErrorStatus, string];

const DEFAULT_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'VALIDATION_ERROR: a parameter or the body is invalid (the message names it)',
  401: 'AUTHENTICATION_ERROR: no credential, or one that is unknown, expired or revoked',
  403: "AUTHORIZATION_ERROR: the credential lacks the operation's scope",
  404: "NOT_FOUND: no such resource (or one outside the credential's constraint)",
  409: 'INVALID_STATE_TRANSITION or CONFLICT: the request clashes with the current state',
  413: 'PAYLOAD_TOO_LARGE: the body is over HTTP_BODY_LIMIT_BYTES',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not sent as application/json (or a +json type)',
  429: 'RATE_LIMIT_EXCEEDED: too many requests from this address (HTTP_RATE_LIMIT_PER_SECOND); retry after Retry-After seconds',
  503: 'The server is shutting down',
};

const ERROR_CODES: readonly string[] = Object.values(ErrorCode);

/**
 * Declares the error answers of an operation (or of every operation of a controller), each with the API's error
 * body: `@ApiErrors(400, 404, [409, 'INVALID_STATE_TRANSITION: the incident is Closed'])`. A status declared on the
 * method replaces the same status declared on its controller.
 */
export function ApiErrors(...specs: ErrorResponseSpec[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...specs.map((spec) => {
      const [status, description] = typeof spec === 'number' ? [spec, DEFAULT_DESCRIPTIONS[spec]] : spec;
      return ApiResponse({
        status,
        description,
        type: ErrorBodySchema,
        example: exampleBody(status, description),
        ...(status === 429 ? { headers: RETRY_AFTER } : {}),
      });
    }),
  );
}

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
} as const;

/** An example body: the code the description starts with (`CONFLICT: ...`), else the status's default code. */
function exampleBody(status: ErrorStatus, description: string): ErrorBody {
  const named = /^([A-Z_]+): (.*)$/s.exec(description);
  if (named !== null && ERROR_CODES.includes(named[1])) {
    return errorBody(named[1] as ErrorCode, named[2], status);
  }
  return errorBody(codeForStatus(status), description, status);
}
