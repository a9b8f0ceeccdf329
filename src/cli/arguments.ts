import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes';

/** Flags every command that talks to a server takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_HELP = `  --url URL        the server (default: $LLM_IM_URL, else http://127.0.0.1:8080)
  --token TOKEN    an API key or JWT (default: $LLM_IM_TOKEN)
  -h, --help       this help`;

/** What a command reads from its environment (the only place the CLI reads it). */
export interface CliEnvironment {
  url?: string;
  token?: string;
  /** Colour on stdout: a TTY, and NO_COLOR unset. */
  color: boolean;
}

export function readEnvironment(): CliEnvironment {
  const env = process.env;
  return {
    url: nonEmpty(env.LLM_IM_URL),
    token: nonEmpty(env.LLM_IM_TOKEN),
    color: process.stdout.isTTY === true && nonEmpty(env.NO_COLOR) === undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Runs parseArgs (strict), its errors turned into usage errors of `command`. */
export function parseOrUsage<T>(command: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}

/** The server and credential: flags first, then the environment. */
export function connection(
  values: { url?: string; token?: string },
  env: CliEnvironment,
  command: string,
): { url: string; token?: string } {
  const url = values.url ?? env.url ?? 'http://127.0.0.1:8080';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`, command);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url must be http:// or https://, not ${parsed.protocol}`, command);
  }
  return { url, token: values.token ?? env.token };
}

/** `a,b,c` (the flag may also be repeated) -> [a, b, c]; each checked against `allowed` when given. */
export function list(
  value: string | undefined,
  flag: string,
  command: string,
  allowed?: readonly string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (allowed !== undefined) {
    for (const item of items) {
      if (!allowed.includes(item)) {
        throw new UsageError(
          `--${flag}: ${JSON.stringify(item)} is not one of ${allowed.join(', ')}`,
          command,
        );
      }
    }
  }
  return items;
}

/** `k=v,k2=v2` -> {k: v, k2: v2}. */
export function labels(
  value: string | undefined,
  flag: string,
  command: string,
): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const result: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag}: ${JSON.stringify(pair)} is not key=value`, command);
    result[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return result;
}

/** One of `allowed`, or a usage error. */
export function oneOf<T extends string>(
  value: string | undefined,
  flag: string,
  command: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`, command);
  }
  return value as T;
}

/** A non-negative integer, or a usage error. */
export function integer(value: string | undefined, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag}: ${JSON.stringify(value)} is not a non-negative integer`, command);
  }
  return Number(value);
}

/** Exactly `count` positional arguments named `names`. */
export function positionals(given: string[], names: string[], command: string): string[] {
  if (given.length !== names.length) {
    const expected = names.length === 0 ? 'no argument' : names.map((name) => `<${name}>`).join(' ');
    throw new UsageError(
      `expected ${expected}, got ${given.length === 0 ? 'none' : given.join(' ')}`,
      command,
    );
  }
  return given;
}
