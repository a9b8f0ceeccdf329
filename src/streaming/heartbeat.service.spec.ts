import type { AppConfig } from '../config/app-config';
import type { ConnectionService } from './connection.service';
import { HEARTBEAT_TICK_MS, HeartbeatService, MAX_MISSED_PINGS } from './heartbeat.service';
import type { StreamMetrics } from './stream-metrics';

interface FakeConnection {
  socket: object;
  isOpen: boolean;
  isClosed: boolean;
  missedPings: number;
  heartbeat: jest.Mock;
  terminate: jest.Mock;
}

function fakeConnection(state: Partial<FakeConnection> = {}): FakeConnection {
  return {
    socket: {},
    isOpen: true,
    isClosed: false,
    missedPings: 0,
    heartbeat: jest.fn(),
    terminate: jest.fn(),
    ...state,
  };
}

function setup(connections: FakeConnection[], intervalMs: number) {
  const registry = {
    all: () => connections.values(),
    release: jest.fn(),
  };
  const metrics = { connectionError: jest.fn() };
  const config = { streaming: { heartbeatIntervalMs: intervalMs } } as unknown as AppConfig;
  const service = new HeartbeatService(
    config,
    registry as unknown as ConnectionService,
    metrics as unknown as StreamMetrics,
  );
  return { service, registry, metrics };
}

describe('HeartbeatService', () => {
  it('spreads a round over the interval: every connection once per round, a slice per tick', () => {
    const connections = Array.from({ length: 25 }, () => fakeConnection());
    const ticksPerRound = 1000 / HEARTBEAT_TICK_MS;
    const { service } = setup(connections, 1000);
    const perTick: number[] = [];
    for (let tick = 0; tick < ticksPerRound; tick++) {
      const before = connections.reduce((sum, c) => sum + c.heartbeat.mock.calls.length, 0);
      service.tick();
      perTick.push(connections.reduce((sum, c) => sum + c.heartbeat.mock.calls.length, 0) - before);
    }
    expect(Math.max(...perTick)).toBeLessThanOrEqual(Math.ceil(25 / ticksPerRound));
    for (const c of connections) expect(c.heartbeat).toHaveBeenCalledTimes(1);

    // The next round starts over.
    service.tick();
    expect(connections[0].heartbeat).toHaveBeenCalledTimes(2);
  });

  it('pings everyone in one tick when the interval is shorter than a tick', () => {
    const connections = [fakeConnection(), fakeConnection()];
    const { service } = setup(connections, HEARTBEAT_TICK_MS / 2);
    service.tick();
    for (const c of connections) expect(c.heartbeat).toHaveBeenCalledTimes(1);
  });

  it('releases closed sockets, skips closing ones and terminates peers that missed too many pings', () => {
    const closed = fakeConnection({ isOpen: false, isClosed: true });
    const closing = fakeConnection({ isOpen: false });
    const dead = fakeConnection({ missedPings: MAX_MISSED_PINGS });
    const alive = fakeConnection({ missedPings: MAX_MISSED_PINGS - 1 });
    const { service, registry, metrics } = setup([closed, closing, dead, alive], 50);
    service.tick();
    expect(registry.release).toHaveBeenCalledWith(closed.socket);
    expect(closing.heartbeat).not.toHaveBeenCalled();
    expect(dead.terminate).toHaveBeenCalled();
    expect(dead.heartbeat).not.toHaveBeenCalled();
    expect(metrics.connectionError).toHaveBeenCalledWith('heartbeat_timeout');
    expect(alive.heartbeat).toHaveBeenCalledTimes(1);
  });
});
