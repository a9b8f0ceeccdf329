import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ApiException, ErrorBody, ErrorCode, codeForStatus, errorBody } from './api-error';

/** Renders every HTTP error, ours or Nest's, as the contract's error body. Unknown errors are 500, logged. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    if (body.error.status >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (response.headersSent) return;
    response.status(body.error.status).json(body);
  }
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof ApiException) return exception.getResponse() as ErrorBody;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return errorBody(codeForStatus(status), messageOf(exception.getResponse(), exception.message), status);
  }
  // Errors raised by body parsing carry an HTTP status (`entity.too.large`, `entity.parse.failed`, ...).
  if (isStatusError(exception) && exception.status >= 400 && exception.status < 500) {
    return bodyParserError(exception);
  }
  return errorBody(ErrorCode.Internal, 'Internal server error', 500);
}

function messageOf(response: unknown, fallback: string): string {
  if (typeof response === 'string') return response;
  if (response && typeof response === 'object' && 'message' in response) {
    const message = response.message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string') return message;
  }
  return fallback;
}

interface StatusError {
  status: number;
  type?: string;
  message: string;
}

function isStatusError(value: unknown): value is StatusError {
  return value instanceof Error && typeof (value as Partial<StatusError>).status === 'number';
}

export function bodyParserError(err: StatusError): ErrorBody {
  switch (err.type) {
    case 'entity.too.large':
      return errorBody(ErrorCode.PayloadTooLarge, 'Request body exceeds the size limit', 413);
    case 'entity.parse.failed':
      return errorBody(ErrorCode.Validation, `Malformed JSON body: ${err.message}`, 400);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return errorBody(ErrorCode.Validation, err.message, 400);
    default:
      return errorBody(codeForStatus(err.status), err.message, err.status);
  }
}
