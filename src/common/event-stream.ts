/**
 * The content type of a Server-Sent Events response (`GET /v1/stream`). Such a response never finishes by itself:
 * HTTP shutdown leaves it to the stream shutdown, which ends it with `closing` like a WebSocket.
 */
export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream';

export function isEventStream(response: { getHeader(name: string): unknown }): boolean {
  const type = response.getHeader('content-type');
  return typeof type === 'string' && type.startsWith(EVENT_STREAM_CONTENT_TYPE);
}
