import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/load-config';
import { loggerParams } from './logging.module';

describe('loggerParams', () => {
  it("puts the node's name (NODE_NAME) on every line, beside pino's pid and hostname", () => {
    const options = loggerParams(loadConfig({ NODE_NAME: 'im-node-3', LOG_LEVEL: 'info' })).pinoHttp;
    const written: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const logger = pino(options as pino.LoggerOptions, sink);
    logger.info({ incident_id: 'i' }, 'escalation fired');
    const line = JSON.parse(written[0]) as Record<string, unknown>;
    expect(line).toMatchObject({
      node: 'im-node-3',
      pid: process.pid,
      msg: 'escalation fired',
      incident_id: 'i',
    });
    expect(typeof line.hostname).toBe('string');
  });
});
