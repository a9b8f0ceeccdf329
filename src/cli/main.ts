#!/usr/bin/env node
// `llm-im`: the command line of LLM Incident Manager, on the client SDK (no NestJS). Built to dist/cli/main.js.
import { readEnvironment } from './arguments';
import { ALERT_HELP, alert } from './commands/alert';
import { INCIDENTS_HELP, incidents } from './commands/incidents';
import { TAIL_HELP, tail } from './commands/tail';
import { EXIT_CODES_HELP, ExitCode, UsageError, describeFailure } from './exit-codes';

const ROOT_HELP = `Usage: llm-im <command> [options]

The command line of LLM Incident Manager.

Commands:
  tail        stream events live (reconnects and resumes by itself)
  alert       submit an alert
  incidents   list, show, acknowledge, resolve, close and comment on incidents

Every command takes --url (default: $LLM_IM_URL, else http://127.0.0.1:8080), --token (default: $LLM_IM_TOKEN)
and --help (-h).

Examples:
  llm-im tail --severities P0,P1 --labels env=prod
  llm-im alert --title "Disk full on db-1" --severity P1 --source nagios --labels env=prod
  llm-im incidents ls --state Detected
  llm-im incidents ack 0b6f3a8e-...

${EXIT_CODES_HELP}
`;

/** Runs one command line; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const env = readEnvironment();
  const [command, ...args] = argv;
  try {
    switch (command) {
      case undefined:
        process.stderr.write(ROOT_HELP);
        return ExitCode.Usage;
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(
          args[0] === 'tail'
            ? TAIL_HELP
            : args[0] === 'alert'
              ? ALERT_HELP
              : args[0] === 'incidents'
                ? INCIDENTS_HELP
                : ROOT_HELP,
        );
        return ExitCode.Ok;
      case 'tail':
        return await tail(args, env);
      case 'alert':
        return await alert(args, env);
      case 'incidents':
        return await incidents(args, env);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const failure = describeFailure(error);
    process.stderr.write(`llm-im: ${failure.message}\n`);
    return failure.code;
  }
}

if (require.main === module) {
  // A closed pipe (`llm-im tail | head`) is a normal end.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.Ok);
    throw error;
  });
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed by now; this only guards against a handle left open by mistake.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
