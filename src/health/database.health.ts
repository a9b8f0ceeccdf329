import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseService } from '../storage/database.service';

@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly database: DatabaseService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await this.database.ping();
      return indicator.up({ dialect: this.database.dialect });
    } catch (error) {
      return indicator.down({ dialect: this.database.dialect, message: (error as Error).message });
    }
  }
}
