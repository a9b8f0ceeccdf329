import { type IncidentState, type Severity, severitiesAtLeast } from '../../domain';
import type { EventType } from '../../events/event.types';
import type { MatchSubject, MatchSubjects } from '../../events/match-subject';
import { LabelMatchers } from '../../common/label-matchers';
import type { SubscriptionFilters, SubscriptionFiltersDto } from '../../common/subscription-filters';

/**
 * One subscription's filters, compiled for matching without allocation: each non-empty key becomes a Set (or a
 * list of label pairs, or compiled label matchers); an empty or missing key is null and matches everything. Keys are
 * AND-ed. `min_severity` is folded into the severity set (P1 -> {P0, P1}, intersected with `severities`), so it costs
 * nothing more per event. A credential's constraint is AND-ed in with `within`: a single-valued key (type,
 * severity, state, source, incident) keeps the intersection of both sets (empty: matches nothing), labels keep every
 * pair of both, label matchers every matcher of both, and `affected_resources` (any-of) keeps both sets, each of
 * which must be met.
 */
export class SubscriptionFilter {
  private constructor(
    /** The filters as echoed in `subscribed`, every key present. */
    readonly echo: SubscriptionFilters,
    /** Equal for filters that match the same events (lists sorted and deduplicated). */
    readonly key: string,
    private readonly eventTypes: ReadonlySet<EventType> | null,
    private readonly severities: ReadonlySet<Severity> | null,
    private readonly states: ReadonlySet<IncidentState> | null,
    private readonly sources: ReadonlySet<string> | null,
    /** Each set is an any-of condition on the affected resources; every one must hold. */
    private readonly resourceSets: readonly ReadonlySet<string>[],
    private readonly labelPairs: readonly (readonly [string, string])[] | null,
    private readonly incidentIds: ReadonlySet<string> | null,
    /** null: no label matcher (an empty list matches everything). */
    private readonly labelMatchers: LabelMatchers | null,
  ) {
    this.ignoresSubject =
      severities === null &&
      states === null &&
      sources === null &&
      resourceSets.length === 0 &&
      labelPairs === null &&
      incidentIds === null &&
      labelMatchers === null;
  }

  /** True when only the event type matters (every event of an accepted type matches): a replay skips the subject. */
  readonly ignoresSubject: boolean;

  /**
   * The filter for `dto`. Filters are immutable, so equal requests (the same JSON) share one compiled filter: ten
   * thousand dashboards with the same view hold one filter between them, not ten thousand (see SHARED_FILTERS).
   */
  static from(dto: SubscriptionFiltersDto): SubscriptionFilter {
    const request = JSON.stringify(dto);
    let filter = sharedFilters.get(request);
    if (filter === undefined) {
      filter = SubscriptionFilter.compile(dto);
      remember(sharedFilters, request, filter);
    }
    return filter;
  }

  private static compile(dto: SubscriptionFiltersDto): SubscriptionFilter {
    const echo: SubscriptionFilters = {
      event_types: [...(dto.event_types ?? [])],
      severities: [...(dto.severities ?? [])],
      states: [...(dto.states ?? [])],
      sources: [...(dto.sources ?? [])],
      affected_resources: [...(dto.affected_resources ?? [])],
      labels: { ...(dto.labels ?? {}) },
      // UUIDs are accepted in any case and compared (and echoed) lowercase, like everywhere else.
      incident_ids: (dto.incident_ids ?? []).map((id) => id.toLowerCase()),
      label_matchers: (dto.label_matchers ?? []).map(({ name, op, value }) => ({ name, op, value })),
      min_severity: dto.min_severity ?? null,
    };
    const pairs = Object.entries(echo.labels);
    // Validated with the filters (IsLabelMatchers): compiling again takes the patterns from the cache.
    const matchers = LabelMatchers.compile(echo.label_matchers);
    const severities = intersect(
      setOrNull(echo.severities),
      echo.min_severity === null ? null : new Set(severitiesAtLeast(echo.min_severity)),
    );
    return new SubscriptionFilter(
      echo,
      canonicalKey(echo, severities, matchers),
      setOrNull(echo.event_types),
      severities,
      setOrNull(echo.states),
      setOrNull(echo.sources),
      echo.affected_resources.length === 0 ? [] : [new Set(echo.affected_resources)],
      pairs.length === 0 ? null : pairs,
      setOrNull(echo.incident_ids),
      matchers.isEmpty ? null : matchers,
    );
  }

  /**
   * This filter AND-ed with `constraint` (a credential's): matches exactly the events both match. Echoes this
   * filter's own keys (what the client asked for); groups apart from the unconstrained filter.
   */
  within(constraint: SubscriptionFilter): SubscriptionFilter {
    // Shared like `from`'s: the connections of one credential narrow the same filters by the same constraint.
    const narrowed = (constraint.narrowed ??= new Map<SubscriptionFilter, SubscriptionFilter>());
    let filter = narrowed.get(this);
    if (filter === undefined) {
      filter = this.narrow(constraint);
      remember(narrowed, this, filter);
    }
    return filter;
  }

  /** Filters narrowed by this one (as a constraint), by the filter narrowed: see `within`. */
  private narrowed: Map<SubscriptionFilter, SubscriptionFilter> | null = null;

  private narrow(constraint: SubscriptionFilter): SubscriptionFilter {
    const pairs = [...(this.labelPairs ?? []), ...(constraint.labelPairs ?? [])];
    return new SubscriptionFilter(
      this.echo,
      `${this.key}&${constraint.key}`,
      intersect(this.eventTypes, constraint.eventTypes),
      intersect(this.severities, constraint.severities),
      intersect(this.states, constraint.states),
      intersect(this.sources, constraint.sources),
      [...this.resourceSets, ...constraint.resourceSets],
      pairs.length === 0 ? null : pairs,
      intersect(this.incidentIds, constraint.incidentIds),
      this.labelMatchers === null
        ? constraint.labelMatchers
        : constraint.labelMatchers === null
          ? this.labelMatchers
          : this.labelMatchers.and(constraint.labelMatchers),
    );
  }

  acceptsType(type: EventType): boolean {
    return this.eventTypes === null || this.eventTypes.has(type);
  }

  /**
   * Whether an event of an accepted type matches, as it is after the change or as its incident was before it (so
   * that a subscriber learns that an incident left its view); the type itself is checked by the index (acceptsType).
   */
  matchesEvent(subjects: MatchSubjects): boolean {
    return this.matches(subjects.subject) || (subjects.previous !== null && this.matches(subjects.previous));
  }

  /** Whether one subject matches. */
  matches(subject: MatchSubject): boolean {
    if (subject.typeOnly) return true;
    if (this.severities !== null && (subject.severity === null || !this.severities.has(subject.severity))) {
      return false;
    }
    if (this.states !== null && (subject.state === null || !this.states.has(subject.state))) return false;
    if (this.sources !== null && (subject.source === null || !this.sources.has(subject.source))) return false;
    if (
      this.incidentIds !== null &&
      (subject.incidentId === null || !this.incidentIds.has(subject.incidentId))
    ) {
      return false;
    }
    for (let i = 0; i < this.resourceSets.length; i++) {
      if (!containsAny(this.resourceSets[i], subject.resources)) return false;
    }
    if (this.labelPairs !== null && !containsAllPairs(subject.labels, this.labelPairs)) return false;
    // Last: the costliest key. An event whose labels are unknown (an incident that is gone) matches no matcher,
    // not even one that a missing label would satisfy: missing data never widens a subscription.
    if (
      this.labelMatchers !== null &&
      (subject.labels === null || !this.labelMatchers.matches(subject.labels))
    ) {
      return false;
    }
    return true;
  }
}

/** Compiled filters kept for sharing, per table (the oldest is forgotten first; whoever holds it keeps it). */
const SHARED_FILTERS = 256;
const sharedFilters = new Map<string, SubscriptionFilter>();

function remember<K>(table: Map<K, SubscriptionFilter>, key: K, filter: SubscriptionFilter): void {
  if (table.size >= SHARED_FILTERS) table.delete(table.keys().next().value as K);
  table.set(key, filter);
}

/**
 * Equal for filters that match the same events by construction. Severities are the effective set (`severities`
 * with `min_severity` folded in; null when neither is given, which differs from an empty intersection that matches
 * nothing), so `min_severity: P1` groups with `severities: [P0, P1]`.
 */
function canonicalKey(
  filters: SubscriptionFilters,
  severities: ReadonlySet<Severity> | null,
  matchers: LabelMatchers,
): string {
  const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
  return JSON.stringify([
    sorted(filters.event_types),
    severities === null ? null : sorted(severities),
    sorted(filters.states),
    sorted(filters.sources),
    sorted(filters.affected_resources),
    Object.entries(filters.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    sorted(filters.incident_ids),
    matchers.key,
  ]);
}

function setOrNull<T>(values: readonly T[]): ReadonlySet<T> | null {
  return values.length === 0 ? null : new Set(values);
}

/** Both conditions on a single-valued key: null is "anything"; an empty result matches nothing. */
function intersect<T>(a: ReadonlySet<T> | null, b: ReadonlySet<T> | null): ReadonlySet<T> | null {
  if (a === null) return b;
  if (b === null) return a;
  return new Set([...a].filter((value) => b.has(value)));
}

function containsAny(wanted: ReadonlySet<string>, actual: readonly string[] | null): boolean {
  if (actual === null) return false;
  for (let i = 0; i < actual.length; i++) if (wanted.has(actual[i])) return true;
  return false;
}

function containsAllPairs(
  labels: Readonly<Record<string, string>> | null,
  pairs: readonly (readonly [string, string])[],
): boolean {
  if (labels === null) return false;
  for (let i = 0; i < pairs.length; i++) {
    const [key, value] = pairs[i];
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return true;
}
