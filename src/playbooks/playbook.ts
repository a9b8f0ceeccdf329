import { Incident, IncidentState, IncidentType, SEVERITIES, Severity, severityRank } from '../domain';
import { maskHeaders, maskUrl } from '../notifications/outgoing/secrets';
import type { Definition } from '../storage/definition.store';

export const ActionType = {
  Webhook: 'webhook',
  Wait: 'wait',
  AddLabels: 'add_labels',
  SetState: 'set_state',
  SeverityIncrease: 'severity_increase',
  Notify: 'notify',
  IncidentResolve: 'incident_resolve',
} as const;
export type ActionType = (typeof ActionType)[keyof typeof ActionType];
export const ACTION_TYPES: readonly ActionType[] = Object.values(ActionType);

export type PlaybookAction =
  | { type: typeof ActionType.Webhook; url: string; headers: Record<string, string> }
  | { type: typeof ActionType.Wait; seconds: number }
  | { type: typeof ActionType.AddLabels; labels: Record<string, string> }
  | { type: typeof ActionType.SetState; state: IncidentState }
  /** Raises to `to_severity`, or by one level when it is null. */
  | { type: typeof ActionType.SeverityIncrease; to_severity: Severity | null }
  /** Channel ids or names; empty = every enabled channel. */
  | { type: typeof ActionType.Notify; channels: string[]; message: string }
  | { type: typeof ActionType.IncidentResolve; notes: string; root_cause: string | null };

/** Matches an incident when every given key matches (an empty list or map matches everything). */
export interface IncidentMatcher {
  severities: Severity[];
  incident_types: IncidentType[];
  sources: string[];
  states: IncidentState[];
  labels: Record<string, string>;
}

export interface PlaybookStep {
  name: string;
  action: PlaybookAction;
  /** Checked against the incident as it is when the step comes up; a step whose condition fails is skipped. */
  condition: IncidentMatcher | null;
  /** Extra attempts after a failed one. */
  retries: number;
  retry_delay_seconds: number;
  /** Per attempt; a `wait` step is not bounded by it. */
  timeout_seconds: number;
}

export interface Playbook extends Definition {
  description: string;
  enabled: boolean;
  /** Which new incidents run the playbook automatically. */
  triggers: IncidentMatcher;
  steps: PlaybookStep[];
}

export const RunStatus = {
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const StepStatus = {
  Pending: 'pending',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export interface StepResult {
  index: number;
  name: string;
  action: ActionType;
  status: StepStatus;
  attempts: number;
  message: string;
  started_at: string | null;
  finished_at: string | null;
}

export const RunTrigger = { Automatic: 'automatic', Manual: 'manual' } as const;
export type RunTrigger = (typeof RunTrigger)[keyof typeof RunTrigger];

/** One execution of a playbook on an incident, with per-step results. */
export interface PlaybookRun {
  id: string;
  incident_id: string;
  playbook_id: string;
  playbook_name: string;
  trigger: RunTrigger;
  triggered_by: string;
  status: RunStatus;
  /** null until the run finishes. */
  success: boolean | null;
  /** Why the run failed. */
  error: string | null;
  actions_executed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  steps: StepResult[];
  /** The steps as they were when the run was queued (later edits of the playbook do not change a run). */
  definition: PlaybookStep[];
}

export function matches(matcher: IncidentMatcher, incident: Incident): boolean {
  return (
    (matcher.severities.length === 0 || matcher.severities.includes(incident.severity)) &&
    (matcher.incident_types.length === 0 || matcher.incident_types.includes(incident.incident_type)) &&
    (matcher.sources.length === 0 || matcher.sources.includes(incident.source)) &&
    (matcher.states.length === 0 || matcher.states.includes(incident.state)) &&
    Object.entries(matcher.labels).every(([k, v]) => incident.labels[k] === v)
  );
}

/** One level more severe than `severity` (P0 stays P0). */
export function oneLevelUp(severity: Severity): Severity {
  return SEVERITIES[Math.max(0, severityRank(severity) - 1)];
}

/** The step as the API shows it: webhook header values masked. */
export function maskStep(step: PlaybookStep): PlaybookStep {
  return step.action.type === ActionType.Webhook
    ? {
        ...step,
        action: { ...step.action, url: maskUrl(step.action.url), headers: maskHeaders(step.action.headers) },
      }
    : step;
}

export function toPlaybookView(playbook: Playbook): Playbook {
  return { ...playbook, steps: playbook.steps.map(maskStep) };
}

export function toRunView(run: PlaybookRun): PlaybookRun {
  return { ...run, definition: run.definition.map(maskStep) };
}
