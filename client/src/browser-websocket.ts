import type { WebSocketConstructor } from './websocket';

/** Browser builds use the page's WebSocket (see node-websocket.ts, which this file replaces there). */
export function loadNodeWebSocket(): WebSocketConstructor | undefined {
  return undefined;
}
