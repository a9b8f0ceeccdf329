import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDotEnv, readEnvironment } from './environment';
import { loadConfig } from './load-config';

describe('readEnvironment', () => {
  let dir: string;
  let dotEnv: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-env-'));
    dotEnv = join(dir, '.env');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the variables of .env', () => {
    writeFileSync(dotEnv, '# local settings\nHOST=127.0.0.1\nPORT=9090\nLOG_LEVEL="debug"\n');
    const config = loadConfig(readEnvironment({}, dotEnv));
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 9090 });
    expect(config.logLevel).toBe('debug');
  });

  it('lets the real environment win over .env', () => {
    writeFileSync(dotEnv, 'PORT=9090\nHOST=127.0.0.1\n');
    const env = readEnvironment({ PORT: '7070' }, dotEnv);
    expect(env).toMatchObject({ PORT: '7070', HOST: '127.0.0.1' });
    expect(loadConfig(env).http.port).toBe(7070);
  });

  it('is the environment alone when there is no .env', () => {
    expect(readDotEnv(dotEnv)).toEqual({});
    expect(readEnvironment({ PORT: '7070' }, dotEnv)).toEqual({ PORT: '7070' });
  });

  it('validates what .env says like the environment: an invalid value names the variable', () => {
    writeFileSync(dotEnv, 'PORT=eighty\n');
    expect(() => loadConfig(readEnvironment({}, dotEnv))).toThrow('PORT="eighty": PORT must be an integer');
  });

  it('does not write .env into process.env', () => {
    writeFileSync(dotEnv, 'LLM_IM_ENV_SPEC_MARKER=1\n');
    expect(readEnvironment(process.env, dotEnv).LLM_IM_ENV_SPEC_MARKER).toBe('1');
    expect(process.env.LLM_IM_ENV_SPEC_MARKER).toBeUndefined();
  });
});
