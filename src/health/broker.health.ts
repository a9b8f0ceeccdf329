import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { EventBusService } from '../events/bus/event-bus.service';

/**
 * The cross-node event bus (REDIS_URL): part of `/health`, never of `/health/ready`. A node whose broker is down
 * still serves and delivers its own events (the others' arrive through the event log), so readiness does not depend
 * on it: a Redis outage must not take every node out of the load balancer at once (contract section 11).
 */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly bus: EventBusService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'broker'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    return this.bus.brokerUp
      ? indicator.up({ broker: 'redis' })
      : indicator.down({ broker: 'redis', message: 'the broker (REDIS_URL) is unreachable' });
  }
}
