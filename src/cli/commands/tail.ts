import { parseArgs } from 'node:util';
import {
  EVENT_TYPES,
  INCIDENT_STATES,
  IncidentClient,
  SEVERITIES,
  type ConnectionStatus,
  type EventType,
  type IncidentState,
  type Severity,
  type StatusDetail,
  type SubscriptionFilterInput,
} from '@llm-incident-manager/client';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connection,
  integer,
  labels,
  list,
  oneOf,
  parseOrUsage,
  positionals,
  type CliEnvironment,
} from '../arguments';
import { EXIT_CODES_HELP, ExitCode, describeFailure } from '../exit-codes';
import { Painter, eventLine } from '../format';

export const TAIL_HELP = `Usage: llm-im tail [options]

Streams events as they happen, one line each. Reconnects by itself after a lost connection or a server restart
and resumes from the last event it printed: nothing is missed, nothing is printed twice. Connection changes go to
stderr. Stop with Ctrl-C.

Filters (comma-separated lists; all given filters must hold):
  --severities P0,P1          incident or alert severities
  --min-severity P2           this severity and every more severe one
  --states Detected,Triaged   incident states
  --labels env=prod,team=db   labels that must all be present with these values
  --event-types incident_created,escalated
  --sources a,b               exact sources
  --incident-ids ID,...       these incidents only

Output:
  --json                      one JSON event message per line ({type, message_id, event, timestamp, sequence})
  --from SEQUENCE             first replay the stored events after SEQUENCE (e.g. the last one a previous run saw)

${CONNECTION_HELP}

Colour is on when stdout is a terminal and NO_COLOR is not set.

${EXIT_CODES_HELP}
`;

const COMMAND = 'tail';

export async function tail(args: string[], env: CliEnvironment): Promise<number> {
  const { values, positionals: given } = parseOrUsage(COMMAND, () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...CONNECTION_OPTIONS,
        severities: { type: 'string' },
        'min-severity': { type: 'string' },
        states: { type: 'string' },
        labels: { type: 'string' },
        'event-types': { type: 'string' },
        sources: { type: 'string' },
        'incident-ids': { type: 'string' },
        json: { type: 'boolean' },
        from: { type: 'string' },
      },
    }),
  );
  if (values.help === true) {
    process.stdout.write(TAIL_HELP);
    return ExitCode.Ok;
  }
  positionals(given, [], COMMAND);
  const filters: SubscriptionFilterInput = {
    severities: list(values.severities, 'severities', COMMAND, SEVERITIES) as Severity[] | undefined,
    min_severity: oneOf(values['min-severity'], 'min-severity', COMMAND, SEVERITIES),
    states: list(values.states, 'states', COMMAND, INCIDENT_STATES) as IncidentState[] | undefined,
    labels: labels(values.labels, 'labels', COMMAND),
    event_types: list(values['event-types'], 'event-types', COMMAND, EVENT_TYPES) as EventType[] | undefined,
    sources: list(values.sources, 'sources', COMMAND),
    incident_ids: list(values['incident-ids'], 'incident-ids', COMMAND),
  };
  for (const key of Object.keys(filters) as (keyof SubscriptionFilterInput)[]) {
    if (filters[key] === undefined) delete filters[key];
  }
  const resumeFrom = integer(values.from, 'from', COMMAND);
  const { url, token } = connection(values, env, COMMAND);
  const json = values.json === true;
  const paint = new Painter(env.color);
  const client = new IncidentClient({ url, token });

  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number, message?: string): void => {
      if (finished) return;
      finished = true;
      if (message !== undefined) process.stderr.write(`llm-im: ${message}\n`);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', terminated);
      void client.close().finally(() => resolve(code));
    };
    const interrupted = (): void => finish(ExitCode.Interrupted);
    const terminated = (): void => finish(ExitCode.Ok);
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', terminated);

    client.onStatus((status, detail) => {
      if (status === 'closed') {
        if (detail?.error !== undefined) {
          const failure = describeFailure(detail.error);
          finish(failure.code, failure.message);
        }
        return;
      }
      process.stderr.write(`llm-im: ${describeStatus(status, detail, url)}\n`);
    });
    client.subscribe(
      { filters, resumeFrom },
      {
        onEvent: (message) => {
          process.stdout.write(`${json ? JSON.stringify(message) : eventLine(message, paint)}\n`);
        },
        onError: (error) =>
          finish(ExitCode.ApiError, `the server refused the subscription: ${error.message}`),
        onGap: (gap) =>
          process.stderr.write(
            `llm-im: the server dropped ${gap.dropped} events between ${gap.from_sequence} and ${gap.to_sequence} (this terminal was too slow)\n`,
          ),
        onResumeFailed: ({ oldest_sequence }) =>
          process.stderr.write(
            `llm-im: some events are no longer stored (oldest: ${oldest_sequence ?? 'none'}); carrying on live\n`,
          ),
      },
    );
    client.connect().catch((error: unknown) => {
      const failure = describeFailure(error);
      finish(failure.code, failure.message);
    });
  });
}

function describeStatus(status: ConnectionStatus, detail: StatusDetail | undefined, url: string): string {
  switch (status) {
    case 'connecting':
      return `connecting to ${url}`;
    case 'reconnecting': {
      const why = [detail?.code === undefined ? '' : `close ${detail.code}`, detail?.reason ?? '']
        .filter((part) => part !== '')
        .join(' ');
      return `connection lost${why === '' ? '' : ` (${why})`}; reconnecting in ${detail?.delayMs ?? 0} ms (attempt ${detail?.attempt ?? 1})`;
    }
    case 'live':
    case 'resumed':
    case 'closed':
      return status;
  }
}
