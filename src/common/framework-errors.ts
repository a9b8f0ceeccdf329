import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { codeForStatus, errorBody } from './api-error';
import { toErrorBody } from './api-exception.filter';

/**
 * Errors Fastify answers before any route or Nest filter runs (a URL that does not decode, a path parameter over
 * the length limit): the contract's error body instead of Fastify's own shape.
 */
export function answerFrameworkError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const body = toErrorBody(error);
  void reply.status(body.error.status).send(body);
}

/**
 * Requests Node's HTTP parser rejects (headers too large, a malformed request line, a request that timed out)
 * never become requests: the answer is written on the socket, in the contract's error shape, and the connection
 * is closed, as Node and Fastify do by default.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request timed out']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request headers (URL included) exceed the size limit']
        : [400, 'Malformed HTTP request'];
  const body = JSON.stringify(errorBody(codeForStatus(status), message, status));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
