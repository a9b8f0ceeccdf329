import { parseArgs } from 'node:util';
import {
  INCIDENT_TYPES,
  IncidentClient,
  SEVERITIES,
  type AlertSubmission,
} from '@llm-incident-manager/client';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connection,
  labels,
  list,
  oneOf,
  parseOrUsage,
  positionals,
  type CliEnvironment,
} from '../arguments';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';

export const ALERT_HELP = `Usage: llm-im alert --title TEXT --severity P0..P4 --source NAME [options]

Submits an alert (POST /v1/alerts) and prints the server's acknowledgement as JSON:
{"alert_id", "incident_id", "status": "Accepted" | "Duplicate" | "Suppressed", "message"}.

  --title TEXT              what is wrong (required)
  --severity P1             P0 (critical) .. P4 (informational) (required)
  --source NAME             who reports it (required)
  --description TEXT        details (default: empty)
  --type TYPE               ${INCIDENT_TYPES.join(', ')} (default: Unknown)
  --labels k=v,k2=v2        labels
  --services a,b            affected services
  --dedup-key KEY           alerts with the same key join one active incident
  --external-id ID          your id for the alert (default: a new UUID)
  --runbook-url URL         a runbook

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

const COMMAND = 'alert';

export async function alert(args: string[], env: CliEnvironment): Promise<number> {
  const { values, positionals: given } = parseOrUsage(COMMAND, () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...CONNECTION_OPTIONS,
        title: { type: 'string' },
        severity: { type: 'string' },
        source: { type: 'string' },
        description: { type: 'string' },
        type: { type: 'string' },
        labels: { type: 'string' },
        services: { type: 'string' },
        'dedup-key': { type: 'string' },
        'external-id': { type: 'string' },
        'runbook-url': { type: 'string' },
      },
    }),
  );
  if (values.help === true) {
    process.stdout.write(ALERT_HELP);
    return ExitCode.Ok;
  }
  positionals(given, [], COMMAND);
  const missing = (['title', 'severity', 'source'] as const).filter((flag) => values[flag] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((flag) => `--${flag}`).join(', ')}`, COMMAND);
  }
  const body: AlertSubmission = {
    title: values.title!,
    severity: oneOf(values.severity, 'severity', COMMAND, SEVERITIES)!,
    source: values.source!,
    description: values.description ?? '',
    alert_type: oneOf(values.type, 'type', COMMAND, INCIDENT_TYPES) ?? 'Unknown',
  };
  const alertLabels = labels(values.labels, 'labels', COMMAND);
  if (alertLabels !== undefined) body.labels = alertLabels;
  const services = list(values.services, 'services', COMMAND);
  if (services !== undefined) body.affected_services = services;
  if (values['dedup-key'] !== undefined) body.dedup_key = values['dedup-key'];
  if (values['external-id'] !== undefined) body.external_id = values['external-id'];
  if (values['runbook-url'] !== undefined) body.runbook_url = values['runbook-url'];

  const client = new IncidentClient(connection(values, env, COMMAND));
  const ack = await client.alerts.submit(body);
  process.stdout.write(`${JSON.stringify(ack)}\n`);
  return ExitCode.Ok;
}
