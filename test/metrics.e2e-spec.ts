import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
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
    const text = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
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
      'websocket_connection_errors_total{reason="rate_limit"}',
      'websocket_connection_errors_total{reason="heartbeat_timeout"}',
      'websocket_connection_errors_total{reason="connection_limit"}',
      'websocket_connection_errors_total{reason="ip_connection_limit"}',
      'websocket_connection_errors_total{reason="origin_not_allowed"}',
      'websocket_messages_sent_total{type="gap"}',
      'websocket_messages_received_total{type="invalid_frame"}',
      'websocket_events_broadcast_total{event_type="escalated"}',
      'websocket_events_delivered_total{event_type="notification_sent"}',
      'llm_incident_manager_messages_shed_total{priority="low"}',
    ]) {
      expect([name, series(text, name)]).toEqual([name, 0]);
    }
  });
});

describe("metrics carry the node's name", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ NODE_NAME: 'im-node-7' });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('labels every series node="<NODE_NAME>", the application\'s and the process\'s', async () => {
    const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.filter((line) => !line.includes('node="im-node-7"'))).toEqual([]);
    expect(text).toMatch(/^llm_incident_manager_escalations_total\{trigger="manual",node="im-node-7"\} 0$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{node="im-node-7"\} /m);
  });
});
