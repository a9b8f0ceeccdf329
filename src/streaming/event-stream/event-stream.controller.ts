import { Controller, Get, Headers, HttpStatus, Logger, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, SchemaObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../../auth/access.decorator';
import type { AuthenticatedRequest } from '../../auth/access.guard';
import { AuthenticationError } from '../../auth/auth-errors';
import { AuthFailure, OPEN_PRINCIPAL } from '../../auth/principal';
import { Scope } from '../../auth/scopes';
import { INCIDENT_STATES, SEVERITIES } from '../../domain';
import { EVENT_TYPES } from '../../events/event.types';
import { ApiException, ErrorCode } from '../../common/api-error';
import { EVENT_STREAM_CONTENT_TYPE } from '../../common/event-stream';
import { ApiErrors } from '../../common/openapi/api-errors.decorator';
import { ConnectionService } from '../connections/connection.service';
import { compileConstraint } from '../connections/stream-authenticator';
import { CloseCode } from '../protocol/stream-protocol';
import { SubscriptionService } from '../routing/subscription.service';
import { EventStreamSocket } from './event-stream-socket';
import { parseEventStreamQuery } from './event-stream-query';

/** The one subscription of an event stream. */
export const EVENT_STREAM_SUBSCRIPTION_ID = 'stream';

/** How long an EventSource waits before it reconnects (the SSE `retry:` field), in ms. */
const RECONNECT_DELAY_MS = 1000;

/**
 * `GET /v1/stream`: the WebSocket stream as Server-Sent Events (contract section 7), for clients that only speak
 * HTTP. One subscription, from the query; `resume_from` or `Last-Event-ID` resumes, `snapshot=true` starts with
 * the matching active incidents. Each event is `id: <sequence>`, `event: <event_type>`, `data: <the event frame>`;
 * replies (`welcome`, `subscribed`, `replay_complete`, `snapshot`, `gap`, `closing`) are events named by their
 * type; a `: ping` comment every heartbeat interval. The same connection limits, queue bound and slow-consumer rule
 * as a WebSocket: it is one, registered like one.
 */
@ApiTags('stream')
@Controller('v1')
export class EventStreamController {
  private readonly logger = new Logger('Streaming');

  constructor(
    private readonly connections: ConnectionService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  @RequireScope(Scope.StreamRead)
  @Get('stream')
  @ApiOperation({
    operationId: 'streamEvents',
    summary: 'Stream events as Server-Sent Events',
    description:
      'Filters as query parameters (lists comma-separated, labels=env:prod,team:db, label_matchers as a ' +
      'URL-encoded JSON array, min_severity=P1), resume_from or the ' +
      'Last-Event-ID header, or snapshot=true. Each event: id = its sequence, event = its event_type, data = the ' +
      'WebSocket event frame. A ": ping" comment every heartbeat interval.',
  })
  @ApiListQuery('event_types', { type: 'string', enum: [...EVENT_TYPES] }, ['incident_created', 'escalated'])
  @ApiListQuery('severities', { type: 'string', enum: [...SEVERITIES] }, ['P0', 'P1'])
  @ApiListQuery('states', { type: 'string', enum: [...INCIDENT_STATES] }, ['Detected', 'Investigating'])
  @ApiListQuery('sources', { type: 'string' })
  @ApiListQuery('affected_resources', { type: 'string' })
  @ApiListQuery('labels', { type: 'string', pattern: '^[^:]+:.*$' }, ['env:prod', 'team:db'])
  @ApiListQuery('incident_ids', { type: 'string', format: 'uuid' })
  @ApiQuery({
    name: 'label_matchers',
    required: false,
    type: String,
    description: 'A JSON array of {name, op, value} matchers (op =, !=, =~, !~), URL-encoded',
    example: '[{"name":"env","op":"=~","value":"prod.*"}]',
  })
  @ApiQuery({ name: 'min_severity', required: false, enum: SEVERITIES, example: 'P1' })
  @ApiQuery({
    name: 'resume_from',
    required: false,
    type: 'integer',
    minimum: 0,
    description: 'Replay the events after this sequence first (the Last-Event-ID header does the same)',
  })
  @ApiQuery({
    name: 'snapshot',
    required: false,
    type: Boolean,
    description: 'Start with the matching active incidents',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id (sequence) of the last event received: resumes after it, as an EventSource does',
    schema: { type: 'integer', minimum: 0 },
  })
  @ApiOkResponse({
    description: 'An endless event stream',
    content: {
      [EVENT_STREAM_CONTENT_TYPE]: {
        schema: {
          type: 'string',
          description:
            'Server-Sent Events: `id: <sequence>`, `event: <event_type>`, `data: <the WebSocket event frame as JSON>`',
          example:
            'retry: 1000\n\nevent: welcome\ndata: {"type":"welcome",...}\n\nid: 42\nevent: incident_created\ndata: {"type":"event",...}\n\n',
        },
      },
    },
  })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: an unknown, repeated or invalid parameter'],
    401,
    [403, 'AUTHORIZATION_ERROR: the credential lacks stream:read'],
    [
      429,
      'RATE_LIMIT_EXCEEDED: the connection limit (total or per address), or over HTTP_RATE_LIMIT_PER_SECOND requests',
    ],
    [503, 'INTERNAL_ERROR: the server is shutting down'],
  )
  async open(
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    const wanted = parseEventStreamQuery(request.query as Record<string, unknown>, lastEventId);
    const principal = request.principal ?? OPEN_PRINCIPAL;
    const constraint = principal.constraint === null ? null : compileConstraint(principal.constraint);
    if (principal.constraint !== null && constraint === null) {
      throw new AuthenticationError(AuthFailure.InvalidToken);
    }
    const refusal = this.connections.refusal(request.raw);
    if (refusal !== null) {
      throw refusal.code === CloseCode.GoingAway
        ? new ApiException(ErrorCode.Internal, refusal.reason, HttpStatus.SERVICE_UNAVAILABLE)
        : new ApiException(ErrorCode.RateLimitExceeded, refusal.reason, HttpStatus.TOO_MANY_REQUESTS);
    }

    // From here on the response is the stream's: Fastify leaves it alone (the headers it prepared, CORS among
    // them, are carried over).
    reply.hijack();
    const response = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) response.setHeader(name, value);
    }
    response.setHeader('content-type', `${EVENT_STREAM_CONTENT_TYPE}; charset=utf-8`);
    response.setHeader('cache-control', 'no-cache, no-transform');
    // Proxies that buffer responses (nginx) would hold the events back.
    response.setHeader('x-accel-buffering', 'no');
    response.writeHead(200);
    response.write(`retry: ${RECONNECT_DELAY_MS}\n\n`);
    request.raw.socket.setNoDelay(true);

    const socket = new EventStreamSocket(response);
    socket.once('close', () => this.connections.release(socket));
    const connection = this.connections.register(socket, response, request.raw, principal, constraint);
    try {
      const subscribed = await this.subscriptions.subscribe(connection, {
        subscription_id: EVENT_STREAM_SUBSCRIPTION_ID,
        filters: wanted.filters,
        resume_from: wanted.resumeFrom,
        snapshot: wanted.snapshot,
      });
      if (subscribed !== undefined) connection.reply(subscribed);
    } catch (error) {
      // The response is the stream's by now: the failure (a store that cannot be read) ends it, with `closing`.
      this.logger.warn(
        `event stream ${connection.id}: ${error instanceof Error ? error.message : String(error)}`,
      );
      connection.close(CloseCode.GoingAway, 'the stream could not start', true);
    }
  }
}

/** A filter given as one comma-separated list (`severities=P0,P1`): repeating the parameter is a 400. */
function ApiListQuery(name: string, items: SchemaObject, example?: string[]): MethodDecorator {
  return ApiQuery({
    name,
    required: false,
    style: 'form',
    explode: false,
    schema: { type: 'array', items },
    ...(example === undefined ? {} : { example }),
  });
}
