/** The category of the server's own lifecycle events; operators cannot post under it. */
export const SERVER_CATEGORY = 'server';

export const ServerMessage = {
  Started: 'Server started',
  Stopping: 'Server stopping',
} as const;

export interface PublishedSystemEvent {
  category: string;
  message: string;
  metadata: Record<string, string>;
  timestamp: string;
}
