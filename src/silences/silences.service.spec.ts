import type { Counter } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { Silence } from './silence';
import { silenceStatus } from './silence';
import type { SilencesRepository } from './silences.repository';
import { SilencesService } from './silences.service';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function silence(overrides: Partial<Silence> = {}): Silence {
  return {
    id: 'S1',
    matchers: [{ name: 'env', op: '=~', value: 'maint.*' }],
    starts_at: iso(T0 - 1000),
    ends_at: iso(T0 + 60_000),
    created_by: 'alice',
    comment: 'c',
    created_at: iso(T0 - 1000),
    updated_at: iso(T0 - 1000),
    ...overrides,
  };
}

const alert = (labels: Record<string, string>, severity: 'P0' | 'P3' = 'P3') => ({
  labels,
  severity,
  source: 'prometheus',
  alert_type: 'Infrastructure' as const,
});

describe('SilencesService', () => {
  let clock: ManualClock;
  let stored: Silence[];
  let service: SilencesService;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    stored = [];
    const repository = {
      unexpired: jest.fn((now: string) => Promise.resolve(stored.filter((s) => s.ends_at > now))),
    } as unknown as SilencesRepository;
    const counter = { inc: jest.fn() } as unknown as Counter<string>;
    service = new SilencesService(repository, clock, counter);
    await service.onModuleInit();
  });

  it('names no silence when none is stored', () => {
    expect(service.silencing(alert({ env: 'maintenance' }))).toBeNull();
  });

  it('names the oldest active silence that matches the labels', async () => {
    stored = [
      silence({ id: 'other', matchers: [{ name: 'env', op: '=', value: 'prod' }] }),
      silence({ id: 'first' }),
      silence({ id: 'second' }),
    ];
    await service.refresh();
    expect(service.silencing(alert({ env: 'maintenance' }))).toBe('first');
    expect(service.silencing(alert({ env: 'prod' }))).toBe('other');
    expect(service.silencing(alert({ env: 'dev' }))).toBeNull();
  });

  it('matches severity, source and alert_type as labels, the alert fields winning over labels of that name', async () => {
    stored = [silence({ matchers: [{ name: 'severity', op: '=~', value: 'P[3-4]' }] })];
    await service.refresh();
    expect(service.silencing(alert({}, 'P3'))).toBe('S1');
    expect(service.silencing(alert({ severity: 'P3' }, 'P0'))).toBeNull();
  });

  it('ignores a pending silence until it starts and an expired one from its end', async () => {
    stored = [silence({ starts_at: iso(T0 + 10_000), ends_at: iso(T0 + 20_000) })];
    await service.refresh();
    expect(service.silencing(alert({ env: 'maintenance' }))).toBeNull();
    await clock.advance(10_000);
    expect(service.silencing(alert({ env: 'maintenance' }))).toBe('S1');
    await clock.advance(10_000);
    expect(service.silencing(alert({ env: 'maintenance' }))).toBeNull();
  });

  it('silences nothing with a stored silence whose matchers no longer compile', async () => {
    stored = [silence({ matchers: [{ name: 'env', op: '=~', value: '(' }] })];
    await service.refresh();
    expect(service.silencing(alert({ env: '(' }))).toBeNull();
  });
});

describe('silenceStatus', () => {
  it('is pending before starts_at, active from it, expired from ends_at', () => {
    const s = { starts_at: iso(T0), ends_at: iso(T0 + 1000) };
    expect(silenceStatus(s, T0 - 1)).toBe('pending');
    expect(silenceStatus(s, T0)).toBe('active');
    expect(silenceStatus(s, T0 + 999)).toBe('active');
    expect(silenceStatus(s, T0 + 1000)).toBe('expired');
  });
});
