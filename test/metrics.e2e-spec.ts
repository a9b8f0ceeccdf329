import request from 'supertest';
import { TestApp, startTestApp } from './support/test-app';

/** The value of one series in a Prometheus text exposition, or undefined when it is absent. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics with known label values exist from the start', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('exposes every known series at 0 before anything happened', async () => {
    const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    for (const name of [
      'llm_incident_manager_escalations_total{trigger="manual"}',
      'llm_incident_manager_escalations_total{trigger="policy"}',
      'llm_incident_manager_escalations_total{trigger="playbook"}',
      'llm_incident_manager_escalations_total{trigger="severity_change"}',
      'llm_incident_manager_alerts_received_total{origin="native",status="Accepted"}',
      'llm_incident_manager_alerts_received_total{origin="alertmanager",status="Resolved"}',
      'llm_incident_manager_incidents_created_total{severity="P0",origin="api"}',
      'llm_incident_manager_incidents_created_total{severity="P4",origin="alert"}',
      'llm_incident_manager_playbook_executions_total{outcome="success"}',
      'llm_incident_manager_playbook_executions_total{outcome="failure"}',
    ]) {
      expect([name, series(text, name)]).toEqual([name, 0]);
    }
  });
});
