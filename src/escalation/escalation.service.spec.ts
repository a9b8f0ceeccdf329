import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import type { EventPublisher } from '../events/event-publisher.service';
import type { IncidentsRepository } from '../incidents/incidents.repository';
import type { IncidentsService } from '../incidents/incidents.service';
import type { NotificationQueueService } from '../notifications/notification-queue.service';
import type { EscalationPoliciesRepository } from './escalation-policies.repository';
import type { EscalationPoliciesService } from './escalation-policies.service';
import type { EscalationState } from './escalation-policy';
import type { EscalationStatesRepository } from './escalation-states.repository';
import { EscalationService } from './escalation.service';

const dueRow = (): EscalationState => ({
  incident_id: 'i-1',
  policy_id: 'p-1',
  status: 'active',
  level_index: 0,
  repeat_round: 0,
  next_due_at: new Date(Date.now() - 1000).toISOString(),
  started_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  stop_reason: null,
});

function setup(change: jest.Mock) {
  const states = {
    activeIncidentIds: jest.fn().mockResolvedValue([]),
    due: jest.fn().mockResolvedValue([dueRow()]),
    nextDueAt: jest.fn().mockResolvedValue(dueRow().next_due_at),
  };
  const policies = { ensureLoaded: jest.fn().mockResolvedValue(undefined), anyEnabled: false };
  const service = new EscalationService(
    { escalation: { checkIntervalMs: 30_000 } } as AppConfig,
    {} as EventPublisher,
    policies as unknown as EscalationPoliciesService,
    {} as EscalationPoliciesRepository,
    states as unknown as EscalationStatesRepository,
    { change } as unknown as IncidentsService,
    {} as IncidentsRepository,
    {} as NotificationQueueService,
    { inc: jest.fn() } as unknown as Counter<string>,
  );
  return { service, states };
}

describe('EscalationService sweep', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  afterEach(() => jest.useRealTimers());

  it('re-arms after a failing level, no sooner than a second later, and tries again', async () => {
    jest.useFakeTimers();
    const change = jest.fn().mockRejectedValue(new Error('database is down'));
    const { service, states } = setup(change);
    await service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(change).toHaveBeenCalledTimes(1);
    expect(states.due).toHaveBeenCalledTimes(1);

    await jest.advanceTimersByTimeAsync(900);
    expect(change).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(change).toHaveBeenCalledTimes(2);
    await service.beforeApplicationShutdown();
  });

  it('arms nothing after shutdown', async () => {
    jest.useFakeTimers();
    const change = jest.fn().mockResolvedValue({});
    const { service } = setup(change);
    await service.beforeApplicationShutdown();
    await service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(change).not.toHaveBeenCalled();
  });
});
