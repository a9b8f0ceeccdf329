import { Logger } from '@nestjs/common';
import request from 'supertest';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { refusingUrl } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { startTestApp } from './support/test-app';

/** Every structured line (an object with `msg`) logged at `level` through Nest's Logger since `spy` was set. */
function lines(spy: jest.SpyInstance): Record<string, unknown>[] {
  return spy.mock.calls
    .map((call: unknown[]) => call[0])
    .filter((first): first is Record<string, unknown> => typeof first === 'object' && first !== null);
}

const withMessage = (spy: jest.SpyInstance, text: string) =>
  lines(spy).filter((line) => String(line.msg).includes(text));

describe('one structured log line per outcome an operator acts on', () => {
  let info: jest.SpyInstance;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    info = jest.spyOn(Logger.prototype, 'log');
    warn = jest.spyOn(Logger.prototype, 'warn');
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('logs an escalation that fires, a notification that failed for good, a failed playbook webhook, and shutdown', async () => {
    const clock = new ManualClock();
    const t = await startTestApp({ NOTIFICATION_MAX_ATTEMPTS: '1' }, undefined, { clock });
    try {
      const deadEnd = await refusingUrl();
      await request(t.baseUrl)
        .post('/v1/notification-channels')
        .send({ name: 'dead-end', type: 'webhook', url: deadEnd })
        .expect(201);
      await request(t.baseUrl)
        .post('/v1/playbooks')
        .send({ name: 'page', steps: [{ name: 'call', action: { type: 'webhook', url: deadEnd } }] })
        .expect(201);
      await request(t.baseUrl)
        .post('/v1/escalation-policies')
        .send({ name: 'fast', levels: [{ level: 1, delay_minutes: 0.01, raise_to_severity: 'P0' }] })
        .expect(201);
      const incident = await createIncident(t.baseUrl, { severity: 'P2' });

      await eventually(
        () => withMessage(warn, 'notification failed').length > 0,
        3000,
        'the notification line',
      );
      expect(withMessage(warn, 'notification failed')[0]).toMatchObject({
        incident_id: incident.id,
        channel: 'dead-end',
        attempts: 1,
      });
      await eventually(
        () => withMessage(warn, 'playbook webhook failed').length > 0,
        3000,
        'the playbook line',
      );
      expect(withMessage(warn, 'playbook webhook failed')[0]).toMatchObject({
        incident_id: incident.id,
        playbook: 'page',
        url: deadEnd,
      });
      await clock.advanceUntil(
        () => withMessage(info, 'escalation fired').length > 0,
        'the escalation line',
        {
          firstMs: 600,
        },
      );
      expect(withMessage(info, 'escalation fired')[0]).toMatchObject({
        incident_id: incident.id,
        level: 1,
        from_severity: 'P2',
        to_severity: 'P0',
      });
    } finally {
      await t.cleanup();
    }
    expect(withMessage(info, 'shutdown started')).toHaveLength(1);
  });
});
