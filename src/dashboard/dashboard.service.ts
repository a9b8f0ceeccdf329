import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiException, ErrorCode } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DASHBOARD_DIST, DashboardBundle, DashboardFile, loadDashboard } from './dashboard-assets';

/** Where the built dashboard is read from (a test may point it elsewhere). */
export const DASHBOARD_DIR = Symbol('DASHBOARD_DIR');

/** The built dashboard, read once at start; null when `npm run build` has not built it. */
@Injectable()
export class DashboardService {
  private readonly logger = new Logger(DashboardService.name);
  private readonly bundle: DashboardBundle | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(DASHBOARD_DIR) dir: string) {
    this.bundle = loadDashboard(dir, config.auth.mode);
    if (this.bundle === null) {
      this.logger.warn(
        `the dashboard is not built (no ${dir}/index.html): run npm run build to serve it at /`,
      );
    }
  }

  index(): DashboardFile {
    return this.built().index;
  }

  asset(name: string): DashboardFile {
    const asset = this.built().assets.get(name);
    if (asset === undefined) throw new ApiException(ErrorCode.NotFound, `Asset ${name} not found`, 404);
    return asset;
  }

  private built(): DashboardBundle {
    if (this.bundle === null) {
      throw new ApiException(
        ErrorCode.NotFound,
        'The dashboard is not built: run `npm run build` (it builds dashboard/dist), then restart the server',
        404,
      );
    }
    return this.bundle;
  }
}

export const dashboardDirProvider = { provide: DASHBOARD_DIR, useValue: DASHBOARD_DIST };
