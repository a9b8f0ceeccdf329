import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  INCIDENT_STATES,
  IncidentClient,
  RESOLUTION_METHODS,
  SEVERITIES,
  type Incident,
  type IncidentState,
  type Severity,
} from '@llm-incident-manager/client';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connection,
  integer,
  list,
  oneOf,
  parseOrUsage,
  positionals,
  type CliEnvironment,
} from '../arguments';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { Painter, incidentLine } from '../format';

export const INCIDENTS_HELP = `Usage: llm-im incidents <command> [options]

Commands:
  ls [--state S,...] [--severity P0,...] [--active] [--page N] [--page-size N] [--json]
                                     list incidents, newest first
  get ID [--json]                    one incident (JSON)
  ack ID [--actor NAME] [--json]     acknowledge: Detected -> Triaged (stops its escalation)
  resolve ID [--notes TEXT] [--root-cause TEXT] [--method Manual|Automated|AutoAssistedManual] [--by NAME] [--json]
                                     resolve
  close ID [--actor NAME] [--json]   close (Resolved or active -> Closed)
  comment ID --text TEXT [--author NAME] [--json]
                                     add a comment

ack, resolve and close print the incident's new state, or the whole incident with --json. Without a token (a
server with AUTH_MODE=none) the actor defaults to your user name; with one, to the credential's name.

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

const SUBCOMMANDS = ['ls', 'list', 'get', 'ack', 'resolve', 'close', 'comment'] as const;

export async function incidents(args: string[], env: CliEnvironment): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(INCIDENTS_HELP);
    return subcommand === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(subcommand)) {
    throw new UsageError(`unknown command ${JSON.stringify(subcommand)}`, 'incidents');
  }
  const command = `incidents ${subcommand}`;
  const { values, positionals: given } = parseOrUsage(command, () =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...CONNECTION_OPTIONS,
        json: { type: 'boolean' },
        state: { type: 'string' },
        severity: { type: 'string' },
        active: { type: 'boolean' },
        page: { type: 'string' },
        'page-size': { type: 'string' },
        actor: { type: 'string' },
        notes: { type: 'string' },
        'root-cause': { type: 'string' },
        method: { type: 'string' },
        by: { type: 'string' },
        text: { type: 'string' },
        author: { type: 'string' },
      },
    }),
  );
  if (values.help === true) {
    process.stdout.write(INCIDENTS_HELP);
    return ExitCode.Ok;
  }
  const allowed: Record<string, readonly string[]> = {
    ls: ['state', 'severity', 'active', 'page', 'page-size', 'json'],
    list: ['state', 'severity', 'active', 'page', 'page-size', 'json'],
    get: ['json'],
    ack: ['actor', 'json'],
    resolve: ['notes', 'root-cause', 'method', 'by', 'json'],
    close: ['actor', 'json'],
    comment: ['text', 'author', 'json'],
  };
  for (const [flag, value] of Object.entries(values)) {
    if (
      value !== undefined &&
      !['url', 'token', 'help'].includes(flag) &&
      !allowed[subcommand].includes(flag)
    ) {
      throw new UsageError(`--${flag} does not apply to ${command}`, 'incidents');
    }
  }
  const server = connection(values, env, 'incidents');
  const client = new IncidentClient(server);
  const paint = new Painter(env.color);
  const json = values.json === true;
  // Without a credential the server cannot name the actor: say who it is.
  const defaultActor = server.token === undefined ? localUser() : undefined;
  const print = (incident: Incident): void => {
    process.stdout.write(json ? `${JSON.stringify(incident)}\n` : `${incidentLine(incident, paint)}\n`);
  };

  switch (subcommand) {
    case 'ls':
    case 'list': {
      positionals(given, [], 'incidents');
      const page = await client.incidents.list({
        state: list(values.state, 'state', 'incidents', INCIDENT_STATES) as IncidentState[] | undefined,
        severity: list(values.severity, 'severity', 'incidents', SEVERITIES) as Severity[] | undefined,
        active_only: values.active === true ? true : undefined,
        page: integer(values.page, 'page', 'incidents'),
        page_size: integer(values['page-size'], 'page-size', 'incidents'),
      });
      if (json) {
        process.stdout.write(`${JSON.stringify(page)}\n`);
      } else {
        for (const incident of page.incidents) process.stdout.write(`${incidentLine(incident, paint)}\n`);
        const shown = page.incidents.length;
        process.stderr.write(`${shown} of ${page.total} (page ${page.page}, ${page.page_size} per page)\n`);
      }
      return ExitCode.Ok;
    }
    case 'get': {
      const [id] = positionals(given, ['id'], 'incidents');
      process.stdout.write(`${JSON.stringify(await client.incidents.get(id), null, json ? undefined : 2)}\n`);
      return ExitCode.Ok;
    }
    case 'ack': {
      const [id] = positionals(given, ['id'], 'incidents');
      print(await client.incidents.acknowledge(id, { actor: values.actor ?? defaultActor }));
      return ExitCode.Ok;
    }
    case 'resolve': {
      const [id] = positionals(given, ['id'], 'incidents');
      const incident = await client.incidents.resolve(
        id,
        // Undefined fields are left out of the JSON body.
        {
          notes: values.notes ?? '',
          root_cause: values['root-cause'],
          method: oneOf(values.method, 'method', 'incidents', RESOLUTION_METHODS) ?? 'Manual',
          resolved_by: values.by ?? defaultActor,
        },
      );
      print(incident);
      return ExitCode.Ok;
    }
    case 'close': {
      const [id] = positionals(given, ['id'], 'incidents');
      print(await client.incidents.close(id, { actor: values.actor ?? defaultActor }));
      return ExitCode.Ok;
    }
    case 'comment': {
      const [id] = positionals(given, ['id'], 'incidents');
      if (values.text === undefined) throw new UsageError('missing --text', 'incidents');
      const note = await client.incidents.comment(id, {
        comment: values.text,
        author: values.author ?? defaultActor,
      });
      process.stdout.write(`${JSON.stringify(note)}\n`);
      return ExitCode.Ok;
    }
  }
  return ExitCode.Usage;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'llm-im';
  }
}
