import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DefinitionNameTakenError, DefinitionNotFoundError } from '../storage/definition-errors';
import { ApiException, ErrorBody, ErrorCode, codeForStatus, errorBody } from './api-error';

/**
 * Renders every HTTP error, ours, Nest's or Fastify's (body parsing and limits, which Nest routes here too), as
 * the contract's error body. Unknown errors are 500, logged.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toErrorBody(exception);
    if (body.error.status >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (reply.sent) return;
    // The rest of an oversized body was not read: close the connection so it is not taken for a next request.
    if (body.error.status === 413) void reply.header('Connection', 'close');
    void reply.status(body.error.status).send(body);
  }
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof ApiException) return exception.getResponse() as ErrorBody;
  // Storage's errors about user definitions: the same answers as NotFoundError and ConflictError.
  if (exception instanceof DefinitionNotFoundError) {
    return errorBody(ErrorCode.NotFound, exception.message, 404);
  }
  if (exception instanceof DefinitionNameTakenError) {
    return errorBody(ErrorCode.Conflict, exception.message, 409);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return errorBody(codeForStatus(status), messageOf(exception.getResponse(), exception.message), status);
  }
  // Errors raised by the HTTP framework before a route runs (body too large, bad Content-Length, ...).
  if (isFrameworkClientError(exception)) return frameworkError(exception);
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

/** Fastify's own errors: a `FST_...` code and the HTTP status to answer. */
interface FrameworkError {
  statusCode: number;
  code?: string;
  message: string;
}

function isFrameworkClientError(value: unknown): value is FrameworkError {
  if (!(value instanceof Error)) return false;
  const status = (value as Partial<FrameworkError>).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function frameworkError(err: FrameworkError): ErrorBody {
  if (err.statusCode === 413) {
    return errorBody(ErrorCode.PayloadTooLarge, 'Request body exceeds the size limit', 413);
  }
  return errorBody(codeForStatus(err.statusCode), err.message, err.statusCode);
}
