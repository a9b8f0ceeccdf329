// The SDK, bundled from its sources, loads the `ws` package in Node behind a `typeof process` check
// (client/src/node-websocket.ts; the bundle swaps that file for browser-websocket.ts, see vite.config.mjs). The
// page's type check has the DOM library and no Node types, so the two globals that file names are declared here.
declare const process: { versions?: { node?: string } } | undefined;
declare function require(id: string): unknown;
