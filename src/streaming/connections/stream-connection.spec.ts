import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { EventPriority } from '../../events/event-priority';
import { OutboundFrame, controlFrame } from '../transport/outbound-frame';
import { Session } from './session';
import {
  SLOW_CONSUMER_CLOSE_DEADLINE_MS,
  SOCKET_HIGH_WATER_BYTES,
  StreamConnection,
} from './stream-connection';
import type { StreamSocket } from '../transport/stream-socket';
import { PING_FRAME } from '../transport/websocket-framing';

/** A TCP socket that records writes and holds them as unsent until `drainAll`. */
class FakeTransport extends EventEmitter {
  corks = 0;
  syscalls = 0;
  written: Buffer[] = [];
  pendingBytes = 0;
  writableNeedDrain = false;
  private corked = 0;

  cork(): void {
    this.corked += 1;
    this.corks += 1;
  }

  uncork(): void {
    this.corked -= 1;
    if (this.corked === 0) this.syscalls += 1;
  }

  write(chunk: Buffer): boolean {
    this.written.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.corked === 0) this.syscalls += 1;
    if (this.pendingBytes >= 16 * 1024) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
  }

  get writableLength(): number {
    return this.pendingBytes;
  }

  drainAll(): void {
    this.pendingBytes = 0;
    this.writableNeedDrain = false;
    this.emit('drain');
  }
}

function fakeSocket(transport: FakeTransport): StreamSocket {
  return {
    readyState: WebSocket.OPEN,
    extensions: '',
    get bufferedAmount() {
      return transport.pendingBytes;
    },
    send: jest.fn(),
    close: jest.fn(function (this: { readyState: number }) {
      this.readyState = WebSocket.CLOSING;
    }),
    terminate: jest.fn(),
  } as unknown as StreamSocket;
}

/** The connection's surroundings: the flush scheduler and the metrics it updates. */
function surroundings() {
  return {
    flushes: {
      schedule: jest.fn((connection: StreamConnection) => {
        connection.flushScheduled = true;
      }),
    },
    metrics: {
      frameWritten: jest.fn(),
      shed: jest.fn(),
      dropped: jest.fn(),
      sendError: jest.fn(),
      slowConsumerClosed: jest.fn(),
      slowConsumerCloseTimedOut: jest.fn(),
    },
  };
}

function event(name: string, priority: EventPriority, size = 10, sequence = Number.NaN): OutboundFrame {
  return new OutboundFrame(
    Buffer.from(name.padEnd(size, ' ')),
    'event',
    priority,
    'system_event',
    0,
    sequence,
  );
}

function setup(maxPendingMessages = 10) {
  const transport = new FakeTransport();
  const socket = fakeSocket(transport);
  const { flushes, metrics } = surroundings();
  const connection = new StreamConnection(
    socket,
    transport,
    new Session('s', 0, {}),
    '127.0.0.1',
    flushes,
    metrics,
    { maxPendingMessages, maxMessagesPerSecond: 100 },
  );
  return { transport, socket, flushes, metrics, connection };
}

/** The text of each written WebSocket frame (unmasked, as a server writes them). */
const payloads = (transport: FakeTransport): string[] =>
  transport.written.map((frame) => {
    const headerLength = frame[1] === 126 ? 4 : frame[1] === 127 ? 10 : 2;
    return frame.subarray(headerLength).toString().trim();
  });

describe('StreamConnection', () => {
  it('queues frames, asks for one flush, and writes them all under one cork in queue order', () => {
    const { transport, flushes, metrics, connection } = setup();
    connection.deliver(event('a', EventPriority.Normal));
    connection.deliver(event('b', EventPriority.Low));
    connection.reply({ type: 'pong', timestamp: 't' });
    expect(flushes.schedule).toHaveBeenCalledTimes(1);
    expect(transport.written).toHaveLength(0);

    connection.flushScheduled = false;
    connection.flush();
    expect(payloads(transport)).toEqual(['a', 'b', '{"type":"pong","timestamp":"t"}']);
    expect(transport.syscalls).toBe(1);
    expect(metrics.frameWritten).toHaveBeenCalledTimes(3);
  });

  it('writes a lone frame straight to the socket, without a cork', () => {
    const { transport, connection } = setup();
    connection.deliver(event('a', EventPriority.Normal));
    connection.flush();
    expect(payloads(transport)).toEqual(['a']);
    expect(transport.corks).toBe(0);
    expect(transport.syscalls).toBe(1);
  });

  it('writes a heartbeat (ping frame, then the JSON pong) together with queued events in one flush', () => {
    const { transport, socket, flushes, connection } = setup();
    connection.deliver(event('a', EventPriority.Normal));
    connection.heartbeat(controlFrame({ type: 'pong', timestamp: 't' }));
    expect(connection.missedPings).toBe(1);
    expect(flushes.schedule).toHaveBeenCalledTimes(1);
    connection.flush();
    expect(transport.written[0]).toEqual(PING_FRAME);
    expect(payloads(transport).slice(1)).toEqual(['a', '{"type":"pong","timestamp":"t"}']);
    expect(transport.syscalls).toBe(1);
    expect(socket.send).not.toHaveBeenCalled();
  });

  it('writes a reply now when asked to, without asking for a flush', () => {
    const { transport, flushes, connection } = setup();
    connection.replyNow({ type: 'pong', timestamp: 't' });
    expect(flushes.schedule).not.toHaveBeenCalled();
    expect(payloads(transport)).toEqual(['{"type":"pong","timestamp":"t"}']);
    expect(connection.queue.isEmpty).toBe(true);
  });

  it('writes the heartbeat of an idle connection at once, in one write, without asking for a flush', () => {
    const { transport, flushes, connection } = setup();
    connection.heartbeat(controlFrame({ type: 'pong', timestamp: 't' }));
    expect(flushes.schedule).not.toHaveBeenCalled();
    expect(transport.written[0]).toEqual(PING_FRAME);
    expect(payloads(transport).slice(1)).toEqual(['{"type":"pong","timestamp":"t"}']);
    expect(transport.syscalls).toBe(1);
    expect(connection.queue.isEmpty).toBe(true);
  });

  it('stops writing at the high-water mark, keeps the rest queued and resumes on drain', () => {
    const { transport, flushes, connection } = setup(100);
    const size = SOCKET_HIGH_WATER_BYTES / 4;
    for (let i = 0; i < 8; i++) connection.deliver(event(`e${i}`, EventPriority.Normal, size));
    connection.flush();
    expect(transport.written).toHaveLength(4);
    expect(connection.queue.size).toBe(4);

    flushes.schedule.mockClear();
    transport.drainAll();
    expect(flushes.schedule).toHaveBeenCalledWith(connection);
    connection.flush();
    expect(payloads(transport).map((p) => p.slice(0, 2))).toEqual([
      'e0',
      'e1',
      'e2',
      'e3',
      'e4',
      'e5',
      'e6',
      'e7',
    ]);
  });

  it('sheds when backpressured and full, and closes a slow consumer (4008) when a Critical event cannot fit', () => {
    const { transport, socket, metrics, connection } = setup(2);
    connection.deliver(event('big', EventPriority.Normal, SOCKET_HIGH_WATER_BYTES));
    connection.flush();
    expect(transport.writableNeedDrain).toBe(true);

    connection.deliver(event('n1', EventPriority.Normal));
    connection.deliver(event('n2', EventPriority.Normal));
    connection.deliver(event('n3', EventPriority.Normal));
    expect(metrics.shed).toHaveBeenCalledWith(EventPriority.Normal);
    connection.deliver(event('x1', EventPriority.Critical));
    connection.deliver(event('x2', EventPriority.Critical));
    expect(metrics.slowConsumerClosed).not.toHaveBeenCalled();
    connection.deliver(event('x3', EventPriority.Critical));
    expect(metrics.slowConsumerClosed).toHaveBeenCalledTimes(1);
    expect(socket.close).toHaveBeenCalledWith(4008, 'slow consumer');
    expect(metrics.dropped).toHaveBeenCalledWith(2);
    expect(connection.isOpen).toBe(false);
  });

  it('writes a burst larger than the queue within one turn instead of shedding it', () => {
    const { transport, metrics, connection } = setup(5);
    for (let i = 0; i < 12; i++) connection.deliver(event(`e${i}`, EventPriority.Low));
    expect(metrics.shed).not.toHaveBeenCalled();
    connection.flush();
    expect(transport.written).toHaveLength(12);
  });

  it('on close, writes what is queued, then closing, then the close frame', () => {
    const { transport, socket, connection } = setup();
    connection.deliver(event('a', EventPriority.Normal));
    connection.close(1001, 'server shutdown', true);
    expect(payloads(transport)).toEqual(['a', '{"type":"closing","reason":"server shutdown"}']);
    expect(socket.close).toHaveBeenCalledWith(1001, 'server shutdown');
    expect(connection.isOpen).toBe(false);
    connection.deliver(event('late', EventPriority.Critical));
    expect(transport.written).toHaveLength(2);
  });

  it('once the queue has room again, sends one gap with the range and count of the events it shed', () => {
    const { transport, connection } = setup(2);
    connection.deliver(event('big', EventPriority.Normal, SOCKET_HIGH_WATER_BYTES, 1));
    connection.flush();
    for (let sequence = 2; sequence <= 6; sequence++) {
      connection.deliver(event(`n${sequence}`, EventPriority.Normal, 10, sequence));
    }
    // Still full: nothing to report yet.
    connection.flush();
    expect(transport.written).toHaveLength(1);

    transport.drainAll();
    connection.flush();
    connection.flush();
    expect(payloads(transport).slice(1)).toEqual([
      'n2',
      'n3',
      '{"type":"gap","from_sequence":4,"to_sequence":6,"dropped":3}',
    ]);
    // Reported once; later traffic without shedding brings no other gap.
    connection.deliver(event('n7', EventPriority.Normal, 10, 7));
    connection.flush();
    connection.flush();
    expect(payloads(transport).slice(4)).toEqual(['n7']);
  });

  it('on a flushing close, reports what was shed in a gap before closing', () => {
    const { transport, connection } = setup(1);
    connection.deliver(event('big', EventPriority.Normal, SOCKET_HIGH_WATER_BYTES, 1));
    connection.flush();
    connection.deliver(event('n2', EventPriority.Normal, 10, 2));
    connection.deliver(event('n3', EventPriority.Normal, 10, 3));
    connection.close(1001, 'server shutdown', true);
    expect(payloads(transport).slice(1)).toEqual([
      'n2',
      '{"type":"gap","from_sequence":3,"to_sequence":3,"dropped":1}',
      '{"type":"closing","reason":"server shutdown"}',
    ]);
  });

  it('writes a burst of replies larger than the queue within one turn instead of closing a slow consumer', () => {
    const { transport, metrics, connection } = setup(5);
    for (let i = 0; i < 12; i++) connection.reply({ type: 'pong', timestamp: `t${i}` });
    expect(metrics.slowConsumerClosed).not.toHaveBeenCalled();
    connection.flush();
    expect(transport.written).toHaveLength(12);
  });

  describe('slow-consumer close deadline', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    function closedAsSlowConsumer() {
      const parts = setup(1);
      parts.connection.deliver(event('big', EventPriority.Normal, SOCKET_HIGH_WATER_BYTES));
      parts.connection.flush();
      parts.connection.deliver(event('x1', EventPriority.Critical));
      parts.connection.deliver(event('x2', EventPriority.Critical));
      expect(parts.socket.close).toHaveBeenCalledWith(4008, 'slow consumer');
      return parts;
    }

    it('terminates a peer that has not completed the close handshake by the deadline, and counts it', () => {
      const { socket, metrics } = closedAsSlowConsumer();
      jest.advanceTimersByTime(SLOW_CONSUMER_CLOSE_DEADLINE_MS - 1);
      expect(socket.terminate).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(socket.terminate).toHaveBeenCalledTimes(1);
      expect(metrics.slowConsumerCloseTimedOut).toHaveBeenCalledTimes(1);
    });

    it('leaves alone a peer whose socket closed in time', () => {
      const { socket, metrics, connection } = closedAsSlowConsumer();
      (socket as unknown as { readyState: number }).readyState = WebSocket.CLOSED;
      connection.release();
      jest.advanceTimersByTime(SLOW_CONSUMER_CLOSE_DEADLINE_MS);
      expect(socket.terminate).not.toHaveBeenCalled();
      expect(metrics.slowConsumerCloseTimedOut).not.toHaveBeenCalled();
    });
  });

  it('on a slow-consumer close, drops the backlog and still announces closing', () => {
    const { transport, metrics, socket, connection } = setup();
    connection.deliver(event('a', EventPriority.Normal));
    connection.close(4008, 'slow consumer', false);
    expect(metrics.dropped).toHaveBeenCalledWith(1);
    expect(payloads(transport)).toEqual(['{"type":"closing","reason":"slow consumer"}']);
    expect(socket.close).toHaveBeenCalledWith(4008, 'slow consumer');
  });
});
