/**
 * The little of a WebSocket the client uses, satisfied both by the browser's `WebSocket` (and Node 22's global one)
 * and by the `ws` package. Handlers are typed as methods (bivariant parameters) so that either implementation's own
 * event types are accepted.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drops the connection at once, without the closing handshake (a dead peer never answers it). */
  terminate?(): void;
}

/** Options only `ws` understands (browsers cannot set headers on a WebSocket). */
export interface NodeWebSocketOptions {
  headers?: Record<string, string>;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: NodeWebSocketOptions,
) => WebSocketLike;

/** `readyState` of an open socket (the same in every implementation). */
export const WEBSOCKET_OPEN = 1;
