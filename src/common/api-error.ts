import { HttpException } from '@nestjs/common';

// The error body is a wire shape: defined once, in the protocol package (there named ApiErrorCode, ApiErrorBody).
import { ApiErrorCode as ErrorCode, type ApiErrorBody as ErrorBody } from '@llm-incident-manager/protocol';

export { ErrorCode };
export type { ErrorBody };

export function errorBody(code: ErrorCode, message: string, status: number): ErrorBody {
  return { error: { code, message, status } };
}

/** Default code for an HTTP status when the thrower did not name one. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.Authentication;
    case 403:
      return ErrorCode.Authorization;
    case 404:
      return ErrorCode.NotFound;
    case 409:
      return ErrorCode.InvalidStateTransition;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 415:
      return ErrorCode.UnsupportedMediaType;
    case 429:
      return ErrorCode.RateLimitExceeded;
    default:
      return status >= 500 ? ErrorCode.Internal : ErrorCode.Validation;
  }
}

/** An error with a contract code; thrown by services, rendered by ApiExceptionFilter. */
export class ApiException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    status: number,
  ) {
    super(errorBody(code, message, status), status);
  }
}

export class NotFoundError extends ApiException {
  constructor(what: string) {
    super(ErrorCode.NotFound, `${what} not found`, 404);
  }
}

export class InvalidStateTransitionError extends ApiException {
  constructor(message: string) {
    super(ErrorCode.InvalidStateTransition, message, 409);
  }
}

/** The request clashes with what is stored, e.g. a definition name already taken. */
export class ConflictError extends ApiException {
  constructor(message: string) {
    super(ErrorCode.Conflict, message, 409);
  }
}

export class ValidationError extends ApiException {
  constructor(message: string) {
    super(ErrorCode.Validation, message, 400);
  }
}
