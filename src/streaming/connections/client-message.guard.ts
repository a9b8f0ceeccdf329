import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Clock } from '../../clock/clock';
import { StreamError } from '../protocol/stream-error';
import { CloseCode, StreamErrorCode } from '../protocol/stream-protocol';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import type { StreamSocket } from '../transport/stream-socket';
import { RateVerdict } from './rate-limiter';

/**
 * The first thing every client frame meets: counts it, records the session's activity and applies the
 * connection's message rate limit (RATE_LIMITED, or a 4029 close on sustained abuse). Frames of a socket that is
 * not (or no longer) an open connection are not handled.
 *
 * Every message over the limit is answered RATE_LIMITED until the abuse threshold (so at most `ABUSE_FACTOR - 1`
 * times the limit per window, however large the flood). The abuse close writes what is queued first: a burst
 * arrives in one turn, before any flush, so the replies to the messages before it (RATE_LIMITED among them) would
 * otherwise be dropped and the client would only ever see the 4029.
 */
@Injectable()
export class ClientMessageGuard implements CanActivate {
  constructor(
    private readonly clock: Clock,
    private readonly metrics: StreamMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    this.metrics.messageReceived(String(ws.getPattern()));
    const connection = ws.getClient<StreamSocket>().connection;
    if (connection === undefined || !connection.isOpen) return false;
    const now = this.clock.now();
    connection.session.touch(now);
    switch (connection.rate.hit(now)) {
      case RateVerdict.Allowed:
        return true;
      case RateVerdict.Limited:
        throw new StreamError(
          StreamErrorCode.RateLimited,
          `more than ${connection.rate.limit} messages per second; message ignored`,
        );
      case RateVerdict.Abusive:
        this.metrics.connectionError(ConnectionErrorReason.RateLimit);
        connection.close(CloseCode.LimitExceeded, 'message rate limit exceeded', true);
        return false;
    }
  }
}
