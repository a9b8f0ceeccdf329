import { Logger } from '@nestjs/common';
import { Gauge, Histogram, Registry } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import { loadConfig } from '../config/load-config';
import { CLUSTER_RECOUNT_INTERVAL_MS, IncidentStatsService } from './incident-stats.service';
import type { IncidentsRepository } from './incidents.repository';

type Row = { severity: string; state: string; count: number };

describe('IncidentStatsService: the incidents gauge', () => {
  let rows: Row[] | Error;
  let registry: Registry;
  let gauge: Gauge<string>;
  let clock: ManualClock;
  let service: IncidentStatsService | undefined;

  const repository = {
    countBySeverityAndState: () => (rows instanceof Error ? Promise.reject(rows) : Promise.resolve(rows)),
  } as unknown as IncidentsRepository;

  const start = async (env: Record<string, string>): Promise<IncidentStatsService> => {
    const histogram = (name: string): Histogram<string> =>
      new Histogram({ name, help: name, labelNames: ['severity'], registers: [registry] });
    service = new IncidentStatsService(
      loadConfig({ DATABASE_URL: 'postgres://db.internal/im', ...env }),
      clock,
      repository,
      gauge,
      histogram('ack_seconds'),
      histogram('resolve_seconds'),
    );
    await service.onApplicationBootstrap();
    return service;
  };
  const value = async (severity: string, state: string): Promise<number | undefined> =>
    (await gauge.get()).values.find((v) => v.labels.severity === severity && v.labels.state === state)?.value;

  beforeEach(() => {
    registry = new Registry();
    gauge = new Gauge({
      name: 'incidents',
      help: 'incidents',
      labelNames: ['severity', 'state'],
      registers: [registry],
    });
    clock = new ManualClock();
    rows = [{ severity: 'P1', state: 'Detected', count: 3 }];
  });

  afterEach(() => service?.onApplicationShutdown());

  it('on a node of a cluster, follows the store every interval (the other nodes change it too)', async () => {
    await start({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(await value('P1', 'Detected')).toBe(3);
    rows = [{ severity: 'P1', state: 'Triaged', count: 3 }];
    await clock.advance(CLUSTER_RECOUNT_INTERVAL_MS);
    expect(await value('P1', 'Triaged')).toBe(3);
    // A pair no incident has any more is not left at its old count.
    expect(await value('P1', 'Detected')).toBeUndefined();
  });

  it('keeps the last counts when a recount fails, and recovers at the next one', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation();
    await start({ REDIS_URL: 'redis://127.0.0.1:6379' });
    rows = new Error('connection refused');
    await clock.advance(CLUSTER_RECOUNT_INTERVAL_MS);
    expect(await value('P1', 'Detected')).toBe(3);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connection refused'));
    rows = [{ severity: 'P0', state: 'Detected', count: 1 }];
    await clock.advance(CLUSTER_RECOUNT_INTERVAL_MS);
    expect(await value('P0', 'Detected')).toBe(1);
    warn.mockRestore();
  });

  it('alone (no REDIS_URL), counts at start and then only its own changes: no timer', async () => {
    const stats = await start({});
    expect(clock.pending).toBe(0);
    stats.created({ severity: 'P1', state: 'Detected' });
    expect(await value('P1', 'Detected')).toBe(4);
  });
});
