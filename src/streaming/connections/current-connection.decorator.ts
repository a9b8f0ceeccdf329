import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { StreamConnection } from './stream-connection';
import type { StreamSocket } from '../transport/stream-socket';

/** The StreamConnection of the socket a message came from (ClientMessageGuard has checked that it is open). */
export const CurrentConnection = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const connection: StreamConnection | undefined = context.switchToWs().getClient<StreamSocket>().connection;
  if (connection === undefined) throw new Error('message from a socket without a connection');
  return connection;
});
