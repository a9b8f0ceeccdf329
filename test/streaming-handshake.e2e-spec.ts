import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

/** The write calls of libuv's TCP handle (one syscall each); `_handle` is Node's, stable across Node 20. */
const HANDLE_WRITES = ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString'];

/** Counts every write a server-side socket makes to its TCP handle from the moment it asks to upgrade. */
function countHandleWrites(socket: Socket): { count: number } {
  const counter = { count: 0 };
  const handle = (socket as unknown as { _handle: Record<string, (...args: unknown[]) => unknown> })._handle;
  for (const name of HANDLE_WRITES) {
    const original = handle[name];
    if (typeof original !== 'function') continue;
    handle[name] = (...args: unknown[]): unknown => {
      counter.count += 1;
      return original.apply(handle, args);
    };
  }
  return counter;
}

describe('WebSocket handshake', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
  });

  it('writes the 101 answer and the welcome frame in one write (one syscall per new connection saved)', async () => {
    const writes: { count: number }[] = [];
    const server = t.app.getHttpServer();
    const onUpgrade = (_request: IncomingMessage, socket: Socket): void => {
      writes.push(countHandleWrites(socket));
    };
    server.prependListener('upgrade', onUpgrade);
    try {
      const client = await WsTestClient.connect(t.wsUrl);
      clients.push(client);
      expect(client.frames[0]).toMatchObject({ type: 'welcome' });
      expect(writes.map((w) => w.count)).toEqual([1]);

      // The connection goes on as usual: its next answer is a write of its own.
      await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' });
      expect(writes[0].count).toBe(2);
    } finally {
      server.removeListener('upgrade', onUpgrade);
    }
  });
});
