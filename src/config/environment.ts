import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

export type Environment = Record<string, string | undefined>;

/**
 * The variables the server starts with: those of `.env` in the working directory, if there is one, overridden by the
 * real environment (a variable set in both takes the environment's value, as with `node --env-file`). Read without
 * touching `process.env`, so nothing else sees the file's variables.
 */
export function readEnvironment(
  env: Environment = process.env,
  dotEnvPath: string = join(process.cwd(), '.env'),
): Environment {
  return { ...readDotEnv(dotEnvPath), ...env };
}

/** The variables of a `.env` file (Node's parser: `KEY=value`, quotes, `#` comments); none when it does not exist. */
export function readDotEnv(path: string): Environment {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  return parseEnv(text);
}
