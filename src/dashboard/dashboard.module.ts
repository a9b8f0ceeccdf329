import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { DashboardService, dashboardDirProvider } from './dashboard.service';

/** Serves the built dashboard (dashboard/, built by `npm run build`) at `/`. */
@Module({
  controllers: [DashboardController],
  providers: [DashboardService, dashboardDirProvider],
})
export class DashboardModule {}
