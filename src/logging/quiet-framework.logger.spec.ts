import type { LoggerService } from '@nestjs/common';
import { QuietFrameworkLogger } from './quiet-framework.logger';

function inner(): jest.Mocked<Required<LoggerService>> {
  return {
    log: jest.fn(),
    error: jest.fn(),
    warn: jest.fn(),
    debug: jest.fn(),
    verbose: jest.fn(),
    fatal: jest.fn(),
    setLogLevels: jest.fn(),
  };
}

describe('QuietFrameworkLogger', () => {
  it("moves Nest's start-up lines (modules, routes, gateway messages) to debug", () => {
    const target = inner();
    const logger = new QuietFrameworkLogger(target);
    logger.log('Mapped {/v1/alerts, POST} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Nest application successfully started', 'NestApplication');
    expect(target.log).not.toHaveBeenCalled();
    expect(target.debug).toHaveBeenCalledTimes(3);
    expect(target.debug).toHaveBeenCalledWith('Mapped {/v1/alerts, POST} route', 'RouterExplorer');
  });

  it("passes the application's own lines and every warning and error on unchanged", () => {
    const target = inner();
    const logger = new QuietFrameworkLogger(target);
    logger.log({ msg: 'escalation fired', incident_id: 'i' }, 'EscalationEngine');
    logger.warn('route table changed', 'RouterExplorer');
    logger.error('boom', 'trace', 'InstanceLoader');
    expect(target.log).toHaveBeenCalledWith(
      { msg: 'escalation fired', incident_id: 'i' },
      'EscalationEngine',
    );
    expect(target.warn).toHaveBeenCalledWith('route table changed', 'RouterExplorer');
    expect(target.error).toHaveBeenCalledWith('boom', 'trace', 'InstanceLoader');
    expect(target.debug).not.toHaveBeenCalled();
  });
});
