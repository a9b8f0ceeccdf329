/**
 * Where the client's stream stands:
 * - `connecting`: the first connection is being opened;
 * - `live`: connected (the first time);
 * - `reconnecting`: the connection was lost; the next attempt is scheduled (`detail.delayMs`, `detail.attempt`);
 * - `resumed`: connected again after a loss; every subscription asked the server to replay what it missed;
 * - `closed`: closed by `close()`, or by the server with a code that means "do not come back" (`detail.code` 4001
 *   unauthorized or 4003 forbidden), or the first connection failed.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'resumed' | 'closed';

export interface StatusDetail {
  /** The WebSocket close code of the connection that was lost or refused. */
  code?: number;
  /** The server's `closing` reason, the close reason, or what the client saw (`heartbeat timeout`, ...). */
  reason?: string;
  /** `reconnecting`: the number of this attempt since the last stable connection (1 for the first). */
  attempt?: number;
  /** `reconnecting`: how long until the attempt. */
  delayMs?: number;
  /** `closed` after a failure: what failed. */
  error?: Error;
}

export type StatusListener = (status: ConnectionStatus, detail?: StatusDetail) => void;
