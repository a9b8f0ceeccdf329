import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { ConflictError, NotFoundError, ValidationError } from '../common/api-error';
import { LabelMatchers, parseLabelMatchers } from '../common/label-matchers';
import { normalizeRfc3339 } from '../common/rfc3339';
import { Clock } from '../clock/clock';
import { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import { DefinitionKind } from '../cluster/definition-kind';
import type { Alert } from '../domain';
import { Metric } from '../metrics/metric-names';
import type { CreateSilenceDto } from './dto/create-silence.dto';
import { Silence, SilenceStatus, SilenceView, viewOf } from './silence';
import { SilencesRepository } from './silences.repository';

/**
 * Silences not yet expired at a time: beyond this, creating one is a 409. Every alert is checked against each
 * active one, so their number is the ingestion path's cost (about 0.1 µs to 1 µs each).
 */
export const MAX_UNEXPIRED_SILENCES = 1000;

/** What a silence is matched against: the alert's labels plus these fields, which win over labels of their name. */
export type SilencedFields = Pick<Alert, 'labels' | 'severity' | 'source' | 'alert_type'>;

interface CachedSilence {
  readonly id: string;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly matchers: LabelMatchers;
}

/**
 * Silences (contract section 10): stored, and kept in memory while not expired (pending or active), so that the
 * ingestion path asks `silencing` without a query per alert. The cache is filled at start and changed with every
 * create and expiry on this node; `refresh` reloads it from the store, which every other node sharing the
 * PostgreSQL database does when told of the change (DefinitionInvalidationService). Status is computed from the
 * Clock at the time of asking.
 */
@Injectable()
export class SilencesService implements OnModuleInit {
  private cache: CachedSilence[] = [];
  /** Bumped by every change of the cache, so that a reload that started before a change does not undo it. */
  private generation = 0;

  constructor(
    private readonly repository: SilencesRepository,
    private readonly clock: Clock,
    @InjectMetric(Metric.AlertsSuppressed) private readonly suppressedCounter: Counter<string>,
    @Optional() private readonly invalidation?: DefinitionInvalidationService,
  ) {
    invalidation?.register(DefinitionKind.Silences, () => this.refresh());
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
  }

  /** Reloads the unexpired silences from the store. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    const silences = await this.repository.unexpired(this.clock.nowIso());
    if (generation !== this.generation) return;
    this.cache = silences.flatMap((s) => {
      const cached = cacheEntry(s);
      return cached === null ? [] : [cached];
    });
  }

  /**
   * The id of the oldest active silence that matches the alert, or null: the ingestion path's one question. A
   * silence is matched against the alert's labels plus `severity`, `source` and `alert_type`, which take precedence
   * over labels of the same name (so that `severity=~"P0|P1"` means the same for every sender).
   */
  silencing(alert: SilencedFields): string | null {
    if (this.cache.length === 0) return null;
    const now = this.clock.now();
    let labels: Record<string, string> | null = null;
    let expired = false;
    for (const silence of this.cache) {
      if (now >= silence.endsAtMs) {
        expired = true;
        continue;
      }
      if (now < silence.startsAtMs) continue;
      labels ??= {
        ...alert.labels,
        severity: alert.severity,
        source: alert.source,
        alert_type: alert.alert_type,
      };
      if (silence.matchers.matches(labels)) return silence.id;
    }
    if (expired) this.dropExpired(now);
    return null;
  }

  /** Counts an alert stored as suppressed (after its unit of work committed). */
  recordSuppressed(): void {
    this.suppressedCounter.inc();
  }

  async create(dto: CreateSilenceDto, caller: string | undefined): Promise<SilenceView> {
    const parsed = parseLabelMatchers(dto.matchers, 'matchers', 1);
    if ('problem' in parsed) throw new ValidationError(parsed.problem);
    // Alertmanager's rule: a silence whose matchers all match the empty string would silence every alert that
    // lacks those labels (and `{alertname=~".*"}` everything); one matcher at least must need a value.
    if (parsed.matchers.matchesEmpty()) {
      throw new ValidationError(
        'matchers: at least one matcher must not match the empty string (these would silence every alert ' +
          'that lacks the labels they name)',
      );
    }
    const startsAt = instant('starts_at', dto.starts_at);
    const endsAt = instant('ends_at', dto.ends_at);
    if (endsAt <= startsAt) throw new ValidationError('ends_at must be after starts_at');
    const now = this.clock.now();
    if (endsAt <= now) throw new ValidationError('ends_at must be in the future');
    const createdBy = dto.created_by ?? caller;
    if (createdBy === undefined) throw new ValidationError('created_by is required');
    if (this.cache.filter((s) => now < s.endsAtMs).length >= MAX_UNEXPIRED_SILENCES) {
      throw new ConflictError(`At most ${MAX_UNEXPIRED_SILENCES} silences may be pending or active at once`);
    }
    const nowIso = new Date(now).toISOString();
    const silence: Silence = {
      id: randomUUID(),
      matchers: parsed.matchers.list.map(({ name, op, value }) => ({ name, op, value })),
      starts_at: new Date(startsAt).toISOString(),
      ends_at: new Date(endsAt).toISOString(),
      created_by: createdBy,
      comment: dto.comment,
      created_at: nowIso,
      updated_at: nowIso,
    };
    await this.repository.insert(silence);
    this.put(silence);
    await this.invalidation?.changed(DefinitionKind.Silences, silence.id);
    return viewOf(silence, now);
  }

  async list(status?: SilenceStatus): Promise<SilenceView[]> {
    const now = this.clock.now();
    const silences = await this.repository.list(status, new Date(now).toISOString());
    return silences.map((s) => viewOf(s, now));
  }

  async get(id: string): Promise<SilenceView> {
    const silence = await this.repository.find(id);
    if (silence === undefined) throw new NotFoundError(`Silence ${id}`);
    return viewOf(silence, this.clock.now());
  }

  /**
   * Expires the silence now (`DELETE`): `ends_at` becomes now, and a pending one also starts now (it never
   * silenced anything). An expired silence is answered as it is.
   */
  async expire(id: string): Promise<SilenceView> {
    const silence = await this.repository.find(id);
    if (silence === undefined) throw new NotFoundError(`Silence ${id}`);
    const now = this.clock.now();
    if (now >= Date.parse(silence.ends_at)) return viewOf(silence, now);
    const nowIso = new Date(now).toISOString();
    if (now < Date.parse(silence.starts_at)) silence.starts_at = nowIso;
    silence.ends_at = nowIso;
    silence.updated_at = nowIso;
    await this.repository.updateTimes(silence);
    this.put(silence);
    await this.invalidation?.changed(DefinitionKind.Silences, silence.id);
    return viewOf(silence, now);
  }

  /** Puts a silence created or changed on this node in the cache (or takes it out once expired). */
  private put(silence: Silence): void {
    this.generation++;
    const others = this.cache.filter((s) => s.id !== silence.id);
    const entry = cacheEntry(silence);
    if (entry === null || this.clock.now() >= entry.endsAtMs) {
      this.cache = others;
      return;
    }
    // Oldest first: the oldest matching silence is the one an alert names.
    this.cache = [...others, entry];
  }

  private dropExpired(now: number): void {
    this.generation++;
    this.cache = this.cache.filter((s) => now < s.endsAtMs);
  }
}

function cacheEntry(silence: Silence): CachedSilence | null {
  const parsed = parseLabelMatchers(silence.matchers, 'matchers', 1);
  // A stored silence whose matchers no longer compile silences nothing (never everything).
  if ('problem' in parsed) return null;
  return {
    id: silence.id,
    startsAtMs: Date.parse(silence.starts_at),
    endsAtMs: Date.parse(silence.ends_at),
    matchers: parsed.matchers,
  };
}

/** A validated RFC 3339 instant as epoch milliseconds (sub-millisecond digits are dropped). */
function instant(name: string, text: string): number {
  const normalized = normalizeRfc3339(text);
  if (normalized === null) throw new ValidationError(`${name} must be an RFC 3339 date-time with an offset`);
  return Date.parse(normalized);
}
