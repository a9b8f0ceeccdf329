import type { WebSocketConstructor } from './websocket';

/**
 * The `ws` package, loaded only when a client needs a WebSocket implementation in Node (Node 20 has no global
 * WebSocket, and Node 22's cannot send an Authorization header). Bundlers for browsers swap this file for
 * browser-websocket (the `browser` field of package.json), so a browser bundle never contains `ws`.
 */
export function loadNodeWebSocket(): WebSocketConstructor | undefined {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, and only in Node
    return require('ws') as WebSocketConstructor;
  } catch {
    return undefined;
  }
}
