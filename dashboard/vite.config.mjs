import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const fromHere = (path) => fileURLToPath(new URL(path, import.meta.url));

// The SDK and the wire types are bundled from their sources: the page needs no build of theirs, and only what it
// imports ends up in the bundle.
export default defineConfig({
  base: '/',
  resolve: {
    alias: [
      { find: '@llm-incident-manager/client', replacement: fromHere('../client/src/index.ts') },
      { find: '@llm-incident-manager/protocol', replacement: fromHere('../protocol/src/index.ts') },
      // What the client package's `browser` field does for its build: the page uses its own WebSocket, never `ws`.
      { find: /^\.\/node-websocket$/, replacement: fromHere('../client/src/browser-websocket.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything from the server's own origin, nothing inline: the page's Content-Security-Policy allows no more.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w dashboard` against a server on :8080.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
