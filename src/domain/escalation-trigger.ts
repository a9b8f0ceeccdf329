/** What raised an incident's severity (the `trigger` label of the escalations metric). */
export const EscalationTrigger = {
  Manual: 'manual',
  Policy: 'policy',
  Playbook: 'playbook',
  SeverityChange: 'severity_change',
} as const;
export type EscalationTrigger = (typeof EscalationTrigger)[keyof typeof EscalationTrigger];
export const ESCALATION_TRIGGERS: readonly EscalationTrigger[] = Object.values(EscalationTrigger);
