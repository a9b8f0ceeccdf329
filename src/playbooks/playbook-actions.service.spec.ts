import { ManualClock } from '../../test/support/manual-clock';
import type { Incident } from '../domain';
import type { IncidentsService } from '../incidents/incidents.service';
import type { NotificationChannelsService } from '../notifications/notification-channels.service';
import type { NotificationQueueService } from '../notifications/notification-queue.service';
import type { WebhookClient } from '../notifications/webhook.client';
import { ActionContext, PlaybookActionsService, abortable } from './playbook-actions.service';

const incident = (overrides: Partial<Incident> = {}): Incident =>
  ({ id: 'i-1', severity: 'P2', state: 'Detected', labels: {}, ...overrides }) as Incident;

const context = (signal = new AbortController().signal): ActionContext => ({
  incidentId: 'i-1',
  runId: 'r-1',
  playbookId: 'p-1',
  playbookName: 'pb',
  stepName: 'step',
  actor: 'playbook:pb',
  timeoutMs: 1000,
  signal,
});

function setup(current: Incident) {
  const incidents = {
    get: jest.fn().mockResolvedValue(current),
    update: jest.fn().mockResolvedValue(current),
    escalate: jest.fn().mockResolvedValue(current),
    resolve: jest.fn().mockResolvedValue(current),
  };
  const channels = { resolve: jest.fn().mockReturnValue({ channels: [], unknown: [] }) };
  const clock = new ManualClock();
  const service = new PlaybookActionsService(
    clock,
    incidents as unknown as IncidentsService,
    {} as WebhookClient,
    channels as unknown as NotificationChannelsService,
    {} as NotificationQueueService,
  );
  return { service, clock, incidents, channels };
}

describe('PlaybookActionsService', () => {
  it('raises the severity by one level through the incident lifecycle', async () => {
    const { service, incidents } = setup(incident({ severity: 'P2' }));
    await expect(
      service.execute({ type: 'severity_increase', to_severity: null }, context()),
    ).resolves.toEqual({
      success: true,
      message: 'severity P2 -> P1',
    });
    expect(incidents.escalate).toHaveBeenCalledWith(
      'i-1',
      { to_severity: 'P1', reason: 'Playbook "pb" step "step"', actor: 'playbook:pb' },
      'playbook',
    );
  });

  it('treats a severity that is already as high as asked as done, without escalating', async () => {
    const { service, incidents } = setup(incident({ severity: 'P0' }));
    await expect(
      service.execute({ type: 'severity_increase', to_severity: null }, context()),
    ).resolves.toEqual({
      success: true,
      message: 'severity already P0',
    });
    expect(incidents.escalate).not.toHaveBeenCalled();
  });

  it('does not change a state that is already the one asked for', async () => {
    const { service, incidents } = setup(incident({ state: 'Triaged' }));
    await expect(service.execute({ type: 'set_state', state: 'Triaged' }, context())).resolves.toMatchObject({
      success: true,
    });
    expect(incidents.update).not.toHaveBeenCalled();
  });

  it('resolves with method Automated by the playbook, and accepts an already resolved incident', async () => {
    const { service, incidents } = setup(incident());
    await service.execute({ type: 'incident_resolve', notes: '', root_cause: 'disk full' }, context());
    expect(incidents.resolve).toHaveBeenCalledWith('i-1', {
      resolved_by: 'playbook:pb',
      method: 'Automated',
      notes: 'Resolved by playbook "pb"',
      root_cause: 'disk full',
    });
    const resolved = setup(incident({ state: 'Resolved' }));
    await expect(
      resolved.service.execute({ type: 'incident_resolve', notes: '', root_cause: null }, context()),
    ).resolves.toEqual({ success: true, message: 'already resolved' });
    expect(resolved.incidents.resolve).not.toHaveBeenCalled();
  });

  it('turns a thrown error into a failed result', async () => {
    const { service, incidents } = setup(incident());
    incidents.update.mockRejectedValue(new Error('Invalid state transition from Closed to Triaged'));
    await expect(service.execute({ type: 'set_state', state: 'Triaged' }, context())).resolves.toEqual({
      success: false,
      message: 'Invalid state transition from Closed to Triaged',
    });
  });

  it('fails a notify step when no enabled channel exists', async () => {
    const { service } = setup(incident());
    await expect(service.execute({ type: 'notify', channels: [], message: 'm' }, context())).resolves.toEqual(
      {
        success: false,
        message: 'no enabled notification channel',
      },
    );
  });
});

describe('wait action and abortable', () => {
  it('a wait lasts its seconds on the clock', async () => {
    const { service, clock } = setup(incident());
    let result: unknown;
    const waiting = service.execute({ type: 'wait', seconds: 2 }, context()).then((r) => (result = r));
    await clock.advance(1_999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    await waiting;
    expect(result).toEqual({ success: true, message: 'waited 2 s' });
  });

  it('a wait ends early, failed, with the abort reason', async () => {
    const { service, clock } = setup(incident());
    const controller = new AbortController();
    const waiting = service.execute({ type: 'wait', seconds: 10 }, context(controller.signal));
    controller.abort(new Error('shutting down'));
    await expect(waiting).resolves.toEqual({ success: false, message: 'shutting down' });
    expect(clock.pending).toBe(0);
  });

  it('abortable passes a result through, and rejects at once on an aborted signal', async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    const controller = new AbortController();
    controller.abort('stop');
    await expect(abortable(new Promise(() => undefined), controller.signal)).rejects.toThrow('stop');
  });
});
