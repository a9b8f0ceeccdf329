import { ApiError, ConnectionError, StreamClosedError } from '@llm-incident-manager/client';

/** What `llm-im` exits with; scripts may rely on these. */
export const ExitCode = {
  Ok: 0,
  /** The server answered with an error (4xx other than 401/403, 5xx), or refused a subscription. */
  ApiError: 1,
  /** Bad flags or arguments. */
  Usage: 2,
  /** The server could not be reached. */
  CannotConnect: 3,
  /** The credential was refused (401/403, or the stream closed with 4001/4003). */
  AuthFailure: 4,
  /** `tail` stopped by Ctrl-C (SIGINT). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the server answered with an error (4xx other than 401/403, 5xx)
  2    usage error (unknown or missing flag, bad value)
  3    cannot connect to the server
  4    authentication failure (401/403, or the stream was closed with 4001/4003)
  130  tail stopped by Ctrl-C (SIGINT)`;

/** A mistake in the command line: exit 2 with the message and a pointer to the help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The command whose --help to point at (`tail`, `incidents ls`, ...); the root when absent. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The exit code for an error that ended a command, and the line that explains it on stderr. */
export function describeFailure(error: unknown): { code: ExitCode; message: string } {
  if (error instanceof UsageError) {
    const help = error.command === undefined ? 'llm-im --help' : `llm-im ${error.command} --help`;
    return { code: ExitCode.Usage, message: `${error.message} (see ${help})` };
  }
  if (error instanceof ApiError) {
    return {
      code: error.isAuthError ? ExitCode.AuthFailure : ExitCode.ApiError,
      message: `${error.status} ${error.code}: ${error.message}`,
    };
  }
  if (error instanceof StreamClosedError) {
    return { code: error.isAuthError ? ExitCode.AuthFailure : ExitCode.ApiError, message: error.message };
  }
  if (error instanceof ConnectionError) return { code: ExitCode.CannotConnect, message: error.message };
  return { code: ExitCode.ApiError, message: error instanceof Error ? error.message : String(error) };
}
