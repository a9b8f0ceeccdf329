/**
 * The kinds of definitions each node keeps in memory, as named in a cluster invalidation message
 * (`NOTIFY llm_im_definitions, '<kind>:<id>'`).
 */
export enum DefinitionKind {
  EscalationPolicies = 'escalation_policies',
  Playbooks = 'playbooks',
  NotificationChannels = 'notification_channels',
  Silences = 'silences',
  ApiKeys = 'api_keys',
}

const KINDS: ReadonlySet<string> = new Set(Object.values(DefinitionKind));

/** The kind named by a message `<kind>:<id>`, or undefined for anything else. */
export function kindOfMessage(payload: string | undefined): DefinitionKind | undefined {
  const kind = payload?.split(':', 1)[0];
  return kind !== undefined && KINDS.has(kind) ? (kind as DefinitionKind) : undefined;
}
