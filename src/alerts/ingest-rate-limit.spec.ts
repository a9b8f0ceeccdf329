import { Counter, Registry } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import { CredentialKind, OPEN_PRINCIPAL, Principal } from '../auth/principal';
import type { AppConfig } from '../config/app-config';
import { Metric } from '../metrics/metric-names';
import { IngestRateLimitError, IngestRateLimiter } from './ingest-rate-limit';

function principal(kind: CredentialKind, id: string): Principal {
  return { kind, id, name: id, scopes: new Set(), constraint: null, expiresAt: null };
}

describe('IngestRateLimiter', () => {
  let clock: ManualClock;
  let refusals: Counter<'reason'>;

  function limiter(rate: number, mode: 'required' | 'none' = 'required'): IngestRateLimiter {
    const config = { http: { ingestRateLimitPerKey: rate }, auth: { mode } } as unknown as AppConfig;
    return new IngestRateLimiter(config, clock, refusals);
  }

  function refusal(run: () => void): IngestRateLimitError {
    try {
      run();
    } catch (error) {
      if (error instanceof IngestRateLimitError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  }

  async function refused(reason: string): Promise<number> {
    return (await refusals.get()).values.find((v) => v.labels.reason === reason)?.value ?? -1;
  }

  beforeEach(() => {
    clock = new ManualClock(0);
    refusals = new Counter({
      name: Metric.IngestRateLimited,
      help: 'test',
      labelNames: ['reason'],
      registers: [new Registry()],
    });
  });

  it('admits a burst of twice the rate in alerts, then refuses with a whole-second Retry-After', async () => {
    const limits = limiter(5);
    const key = principal(CredentialKind.Jwt, 'a');
    limits.admit(key, 4);
    limits.admit(key, 6);
    const error = refusal(() => limits.admit(key, 1));
    expect(error.getStatus()).toBe(429);
    expect(error.getResponse()).toEqual({
      error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String), status: 429 },
    });
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.reason).toBe('rate');
    expect(await refused('rate')).toBe(1);
    expect(await refused('batch_over_burst')).toBe(0);
  });

  it('says how many whole seconds a refused batch must wait, and takes nothing from the bucket', async () => {
    const limits = limiter(5);
    const key = principal(CredentialKind.ApiKey, 'k');
    limits.admit(key, 10);
    expect(refusal(() => limits.admit(key, 8)).retryAfterSeconds).toBe(2);
    await clock.advance(1000);
    // The refused 8 took nothing: the 5 refilled in that second are all there.
    limits.admit(key, 5);
  });

  it('refills at the rate as the clock moves', async () => {
    const limits = limiter(5);
    const key = principal(CredentialKind.Jwt, 'a');
    limits.admit(key, 10);
    refusal(() => limits.admit(key, 1));
    await clock.advance(200);
    limits.admit(key, 1);
    refusal(() => limits.admit(key, 1));
  });

  it('keeps credentials apart, by kind as well as id', () => {
    const limits = limiter(5);
    limits.admit(principal(CredentialKind.Jwt, 'same'), 10);
    refusal(() => limits.admit(principal(CredentialKind.Jwt, 'same'), 1));
    limits.admit(principal(CredentialKind.ApiKey, 'same'), 10);
    limits.admit(principal(CredentialKind.Jwt, 'other'), 10);
  });

  it('refuses a request carrying more alerts than the burst whole, even from a full bucket', async () => {
    const limits = limiter(5);
    const key = principal(CredentialKind.Jwt, 'a');
    const error = refusal(() => limits.admit(key, 11));
    expect(error.reason).toBe('batch_over_burst');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.getResponse()).toMatchObject({ error: { message: expect.stringMatching(/11 alerts/) } });
    expect(await refused('batch_over_burst')).toBe(1);
    limits.admit(key, 10);
  });

  it('limits nothing when set to 0, or in open mode', () => {
    const off = limiter(0);
    for (let i = 0; i < 100; i += 1) off.admit(principal(CredentialKind.Jwt, 'a'), 1000);
    const open = limiter(5, 'none');
    for (let i = 0; i < 100; i += 1) open.admit(OPEN_PRINCIPAL, 1000);
  });

  it('starts every refusal series at zero', async () => {
    limiter(5);
    expect(await refused('rate')).toBe(0);
    expect(await refused('batch_over_burst')).toBe(0);
  });
});
