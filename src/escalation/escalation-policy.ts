import { Incident, Severity, isMoreSevere } from '../domain';
import { maskHeaders, maskUrl } from '../notifications/outgoing/secrets';
import type { Definition } from '../storage/definition.store';

export const TargetType = { User: 'user', Team: 'team', Webhook: 'webhook' } as const;
export type TargetType = (typeof TargetType)[keyof typeof TargetType];
export const TARGET_TYPES: readonly TargetType[] = Object.values(TargetType);

/** Whom a level escalates to. A webhook target is called directly; users and teams are named in the notifications. */
export interface EscalationTarget {
  type: TargetType;
  name: string;
  /** Webhook targets only. */
  url: string | null;
  /** Webhook targets only: extra request headers (credentials); never returned, nor the URL's credentials. */
  headers: Record<string, string>;
}

export interface EscalationLevel {
  level: number;
  /** Minutes after the previous level fired (the first level: after the incident was created). Fractions allowed. */
  delay_minutes: number;
  targets: EscalationTarget[];
  raise_to_severity: Severity | null;
  /** When true (default), acknowledging the incident (leaving Detected) stops the escalation before this level. */
  stop_on_ack: boolean;
}

export interface EscalationPolicy extends Definition {
  description: string;
  enabled: boolean;
  /**
   * Severities of the incidents the policy applies to (at creation, and again whenever an incident's severity
   * changes); empty = every severity.
   */
  severities: Severity[];
  /** In ascending `level` order. */
  levels: EscalationLevel[];
  /** How many more times the whole level sequence runs after the last level while nobody acknowledges. */
  repeat: number;
}

export const EscalationStatus = {
  Active: 'active',
  Stopped: 'stopped',
  Completed: 'completed',
  Cancelled: 'cancelled',
} as const;
export type EscalationStatus = (typeof EscalationStatus)[keyof typeof EscalationStatus];

export const StopReason = {
  Acknowledged: 'acknowledged',
  Resolved: 'resolved',
  Closed: 'closed',
  PolicyDisabled: 'policy_disabled',
  PolicyDeleted: 'policy_deleted',
  IncidentMissing: 'incident_missing',
  /** The incident's severity changed and the policy no longer applies to it (nor any other that could run). */
  SeverityChanged: 'severity_changed',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/** The escalation of one incident, as stored. */
export interface EscalationState {
  incident_id: string;
  policy_id: string;
  status: EscalationStatus;
  level_index: number;
  repeat_round: number;
  next_due_at: string | null;
  started_at: string;
  updated_at: string;
  stop_reason: StopReason | null;
}

export function delayMs(level: EscalationLevel): number {
  return Math.round(level.delay_minutes * 60_000);
}

/**
 * The policy for an incident (a new one, or one whose severity changed): enabled, with levels, and matching its
 * severity. A policy that names severities
 * wins over a catch-all one; among equals the oldest wins.
 */
export function selectPolicy(
  policies: readonly EscalationPolicy[],
  incident: Incident,
): EscalationPolicy | undefined {
  const candidates = policies.filter(
    (p) =>
      p.enabled &&
      p.levels.length > 0 &&
      (p.severities.length === 0 || p.severities.includes(incident.severity)),
  );
  return candidates.find((p) => p.severities.length > 0) ?? candidates[0];
}

/** The level after `levelIndex` (restarting the sequence while repeats remain), or null when the policy is done. */
export function nextStep(
  policy: EscalationPolicy,
  levelIndex: number,
  repeatRound: number,
): { levelIndex: number; repeatRound: number } | null {
  if (levelIndex + 1 < policy.levels.length) return { levelIndex: levelIndex + 1, repeatRound };
  if (repeatRound < policy.repeat) return { levelIndex: 0, repeatRound: repeatRound + 1 };
  return null;
}

/** The severity a level raises to, or null when it would not raise it. */
export function raisedSeverity(level: EscalationLevel, current: Severity): Severity | null {
  return level.raise_to_severity !== null && isMoreSevere(level.raise_to_severity, current)
    ? level.raise_to_severity
    : null;
}

export function describeTarget(target: EscalationTarget): string {
  return `${target.type}:${target.name}`;
}

export function formatDelay(minutes: number): string {
  if (minutes >= 1) return `${Number(minutes.toFixed(2))} min`;
  return `${Number((minutes * 60).toFixed(2))} s`;
}

/** The policy as the API shows it: webhook target header values and URL credentials masked. */
export function toPolicyView(policy: EscalationPolicy): EscalationPolicy {
  return {
    ...policy,
    levels: policy.levels.map((level) => ({
      ...level,
      targets: level.targets.map((target) => ({
        ...target,
        url: target.url === null ? null : maskUrl(target.url),
        headers: maskHeaders(target.headers ?? {}),
      })),
    })),
  };
}
