import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConnectionService } from './connection.service';
import type { StreamSocket } from '../transport/stream-socket';

/**
 * The first thing every client frame meets: counts it, records the session's activity and applies the message
 * rate limit (RATE_LIMITED, or a 4029 close on sustained abuse). Frames of a socket that is not (or no longer) an
 * open connection are not handled.
 */
@Injectable()
export class ClientMessageGuard implements CanActivate {
  constructor(private readonly connections: ConnectionService) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    return this.connections.admit(ws.getClient<StreamSocket>(), String(ws.getPattern()));
  }
}
