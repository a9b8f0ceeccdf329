import { EventEmitter } from 'node:events';
import { Subject } from 'rxjs';
import { ManualClock } from '../../../test/support/manual-clock';
import type { AppConfig } from '../../config/app-config';
import type { ConnectionService } from './connection.service';
import {
  HEARTBEAT_TICK_MS,
  HeartbeatService,
  MAX_MISSED_PINGS,
  MIN_VISITS_PER_TICK,
} from './heartbeat.service';
import type { StreamConnection } from './stream-connection';
import type { StreamMetrics } from '../stream-metrics';

interface FakeConnection {
  socket: EventEmitter;
  heartbeatDueAt: number;
  pongReceived: jest.Mock;
  isOpen: boolean;
  isClosed: boolean;
  missedPings: number;
  heartbeat: jest.Mock;
  terminate: jest.Mock;
}

function fakeConnection(state: Partial<FakeConnection> = {}): FakeConnection {
  const connection: FakeConnection = {
    socket: new EventEmitter(),
    heartbeatDueAt: 0,
    pongReceived: jest.fn(),
    isOpen: true,
    isClosed: false,
    missedPings: 0,
    heartbeat: jest.fn(),
    terminate: jest.fn(),
    ...state,
  };
  // As ConnectionService does: the socket knows its connection.
  Object.assign(connection.socket, { connection });
  return connection;
}

const INTERVAL_MS = 30_000;

function setup(now: number, intervalMs = INTERVAL_MS) {
  const opened = new Subject<StreamConnection>();
  const live: FakeConnection[] = [];
  const registry = {
    opened$: opened.asObservable(),
    get size() {
      return live.length;
    },
    release: jest.fn(),
  };
  const metrics = { connectionError: jest.fn() };
  const config = { streaming: { heartbeatIntervalMs: intervalMs } } as unknown as AppConfig;
  const clock = new ManualClock(now);
  const service = new HeartbeatService(
    config,
    clock,
    registry as unknown as ConnectionService,
    metrics as unknown as StreamMetrics,
  );
  service.onModuleInit();
  const connect = (connection: FakeConnection): FakeConnection => {
    live.push(connection);
    opened.next(connection as unknown as StreamConnection);
    return connection;
  };
  return { service, registry, metrics, connect, clock };
}

const heartbeats = (connections: FakeConnection[]): number =>
  connections.reduce((sum, c) => sum + c.heartbeat.mock.calls.length, 0);

describe('HeartbeatService', () => {
  let now: number;
  let service: HeartbeatService | null = null;

  beforeEach(() => {
    now = Date.now();
  });

  afterEach(() => {
    service?.onModuleDestroy();
    service = null;
  });

  it('first heartbeats a connection one interval after it connected, then every interval', () => {
    const t = setup(now);
    service = t.service;
    const connection = t.connect(fakeConnection());
    t.service.tick(now + HEARTBEAT_TICK_MS);
    expect(connection.heartbeat).not.toHaveBeenCalled();
    t.service.tick(now + INTERVAL_MS + 1000);
    expect(connection.heartbeat).toHaveBeenCalledTimes(1);
    t.service.tick(now + INTERVAL_MS + 1000 + INTERVAL_MS / 2);
    expect(connection.heartbeat).toHaveBeenCalledTimes(1);
    t.service.tick(now + 2 * INTERVAL_MS + 2000);
    expect(connection.heartbeat).toHaveBeenCalledTimes(2);
  });

  it('spreads connections that arrived together over the ticks instead of pinging them all in one', () => {
    const t = setup(now);
    service = t.service;
    const connections = Array.from({ length: 5000 }, () => t.connect(fakeConnection()));
    const perTick: number[] = [];
    let at = now + INTERVAL_MS;
    while (heartbeats(connections) < connections.length) {
      const before = heartbeats(connections);
      t.service.tick(at);
      perTick.push(heartbeats(connections) - before);
      at += HEARTBEAT_TICK_MS;
    }
    const ticksPerInterval = INTERVAL_MS / HEARTBEAT_TICK_MS;
    const cap = Math.max(MIN_VISITS_PER_TICK, 2 * Math.ceil(5000 / ticksPerInterval));
    expect(Math.max(...perTick)).toBeLessThanOrEqual(cap);
    expect(perTick.length).toBeGreaterThanOrEqual(5000 / cap);
    for (const c of connections) expect(c.heartbeat).toHaveBeenCalledTimes(1);
  });

  it('releases closed sockets for good, skips closing ones and terminates peers that missed too many pings', () => {
    const t = setup(now);
    service = t.service;
    const closed = t.connect(fakeConnection({ isOpen: false, isClosed: true }));
    const closing = t.connect(fakeConnection({ isOpen: false }));
    const dead = t.connect(fakeConnection({ missedPings: MAX_MISSED_PINGS }));
    const alive = t.connect(fakeConnection({ missedPings: MAX_MISSED_PINGS - 1 }));
    t.service.tick(now + INTERVAL_MS + 1000);
    expect(t.registry.release).toHaveBeenCalledWith(closed.socket);
    expect(closing.heartbeat).not.toHaveBeenCalled();
    expect(dead.terminate).toHaveBeenCalled();
    expect(dead.heartbeat).not.toHaveBeenCalled();
    expect(t.metrics.connectionError).toHaveBeenCalledWith('heartbeat_timeout');
    expect(alive.heartbeat).toHaveBeenCalledTimes(1);

    t.service.tick(now + 2 * INTERVAL_MS + 2000);
    expect(t.registry.release).toHaveBeenCalledTimes(1);
  });

  it('hands a pong to its connection with the time it arrived', () => {
    const t = setup(now);
    service = t.service;
    const connection = t.connect(fakeConnection({ missedPings: 1 }));
    const socket = connection.socket as EventEmitter & { onPong?: (socket: unknown) => void };
    socket.onPong?.(socket);
    expect(connection.pongReceived).toHaveBeenCalledWith(now);
  });
});
