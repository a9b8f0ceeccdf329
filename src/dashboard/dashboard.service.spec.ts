import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException } from '../common/api-error';
import type { AppConfig } from '../config/app-config';
import { DashboardService } from './dashboard.service';

describe('DashboardService without a build', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-dashboard-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('answers / with a 404 that says to run npm run build, instead of failing at start', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const service = new DashboardService({ auth: { mode: 'required' } } as AppConfig, dir);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('run npm run build'));
    let thrown: unknown;
    try {
      service.index();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiException);
    expect((thrown as ApiException).getStatus()).toBe(404);
    expect((thrown as ApiException).getResponse()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message:
          'The dashboard is not built: run `npm run build` (it builds dashboard/dist), then restart the server',
        status: 404,
      },
    });
    expect(() => service.asset('index-abc.js')).toThrow(ApiException);
  });
});
