/**
 * Categories of the server's own lifecycle events; operators cannot post under them. `shutdown` is published by
 * the streaming gateway's shutdown (StreamShutdownService), which must close the sockets right after it.
 */
export const ServerCategory = { Startup: 'startup', Shutdown: 'shutdown' } as const;
export const SERVER_CATEGORIES: readonly string[] = Object.values(ServerCategory);

export interface PublishedSystemEvent {
  category: string;
  message: string;
  metadata: Record<string, string>;
  timestamp: string;
}
