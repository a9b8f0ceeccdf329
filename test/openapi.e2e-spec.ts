import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIV3 } from 'openapi-types';
import { registeredRoutes } from './support/routes';
import { TestApp, startTestApp } from './support/test-app';

/**
 * The OpenAPI document the server serves at /docs/json, as a client generator reads it: valid, every operation
 * named, described, typed and answering its errors in the error body, and covering every route the server has.
 */

type Document = OpenAPIV3.Document;
type Operation = OpenAPIV3.OperationObject;
type Schema = OpenAPIV3.SchemaObject | OpenAPIV3.ReferenceObject;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const ERROR_BODY = '#/components/schemas/ErrorBody';

/** Operations whose errors have another shape than ErrorBody, on purpose: operationId -> status -> schema. */
const OWN_ERROR_BODIES: Record<string, Record<string, string>> = {
  // PagerDuty's senders read PagerDuty's error shape.
  enqueuePagerDutyEvent: allErrors('#/components/schemas/PagerDutyErrorDto'),
  receivePagerDutyEvent: allErrors('#/components/schemas/PagerDutyErrorDto'),
  // A failed health check answers Terminus' report, naming the dependency that is down.
  checkHealth: { 503: '#/components/schemas/HealthReport' },
  checkLiveness: { 503: '#/components/schemas/HealthReport' },
  checkReadiness: { 503: '#/components/schemas/HealthReport' },
};

/** Served by Fastify plugins, not by controllers: the documentation itself. */
const DOCUMENTATION = /^\/docs([/*-]|$)/;

/** An id for every path parameter when calling the operations. */
const SOME_UUID = '00000000-0000-4000-8000-000000000000';

interface Entry {
  method: (typeof METHODS)[number];
  path: string;
  operation: Operation;
  /** `METHOD /path` */
  name: string;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let dir: string;
  let document: Document;
  let entries: Entry[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-openapi-'));
    // Authentication on, as in production: the security each operation declares is checked against the server.
    t = await startTestApp({ AUTH_MODE: 'required', ADMIN_KEY_FILE: join(dir, 'admin.key') });
    const response = await fetch(`${t.baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Document;
    entries = operationsOf(document);
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers as documented: on a walk through the API, each answer has a declared status and matches its schema', async () => {
    const api = new DocumentedApi(
      t.baseUrl,
      (await SwaggerParser.dereference(structuredClone(document) as never)) as Document,
      readFileSync(join(dir, 'admin.key'), 'utf8').trim(),
    );
    await walkThroughTheApi(api);
    expect(api.calls).toBeGreaterThan(50);
    expect(api.problems).toEqual([]);
  });

  it('is a valid OpenAPI 3 document (schema and semantics: unique operationIds, path parameters declared)', async () => {
    expect(document.openapi).toMatch(/^3\.[01]\./);
    // The validator dereferences in place: it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('names every operation with a unique camelCase operationId, a summary and a tag', () => {
    const problems = entries.flatMap(({ name, operation }) => [
      ...(/^[a-z][A-Za-z0-9]*$/.test(operation.operationId ?? '')
        ? []
        : [`${name}: operationId ${operation.operationId}`]),
      ...(operation.summary?.trim() ? [] : [`${name}: no summary`]),
      ...((operation.tags?.length ?? 0) > 0 ? [] : [`${name}: no tag`]),
    ]);
    expect(problems).toEqual([]);
    const ids = entries.map((e) => e.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // Each tag is declared with its description, once.
    const declared = (document.tags ?? []).map((tag) => tag.name);
    const used = new Set(entries.flatMap((e) => e.operation.tags ?? []));
    expect([...used].filter((tag) => !declared.includes(tag))).toEqual([]);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('describes every response, and gives each success answer a content schema (except 204 and 304)', () => {
    const problems: string[] = [];
    for (const { name, operation } of entries) {
      const responses = Object.entries(operation.responses) as [string, OpenAPIV3.ResponseObject][];
      const successes = responses.filter(([status]) => /^2\d\d$/.test(status));
      if (successes.length === 0) problems.push(`${name}: no 2xx response`);
      for (const [status, response] of responses) {
        if (!response.description?.trim()) problems.push(`${name} ${status}: no description`);
        if (status === '204' || status === '304') continue;
        const media = Object.entries(response.content ?? {});
        if (media.length === 0) problems.push(`${name} ${status}: no content`);
        for (const [type, content] of media) {
          if (content.schema === undefined) problems.push(`${name} ${status} ${type}: no schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers every error in the error body ({"error": {code, message, status}}), unless the route has its own', () => {
    const errorBody = document.components?.schemas?.ErrorBody as OpenAPIV3.SchemaObject;
    expect(errorBody.required).toEqual(['error']);
    const problems: string[] = [];
    for (const { name, operation } of entries) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const expected = OWN_ERROR_BODIES[operation.operationId ?? '']?.[status] ?? ERROR_BODY;
        const schema = (response as OpenAPIV3.ResponseObject).content?.['application/json']?.schema;
        if (!schema || !('$ref' in schema) || schema.$ref !== expected) {
          problems.push(`${name} ${status}: ${JSON.stringify(schema)} instead of ${expected}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('declares the errors each operation can answer: 400 on input, 413/415 on a body, 404 on an id, 401/403 when authenticated', () => {
    const problems: string[] = [];
    for (const { name, operation } of entries) {
      const declared = new Set(Object.keys(operation.responses));
      const parameters = (operation.parameters ?? []) as OpenAPIV3.ParameterObject[];
      const wanted: string[] = [];
      // Input the server validates: a body, a query parameter, a UUID in the path.
      if (operation.requestBody !== undefined || parameters.some(isValidated)) wanted.push('400');
      if (operation.requestBody !== undefined) wanted.push('413', '415');
      if (parameters.some((p) => p.in === 'path')) wanted.push('404');
      const security = operation.security ?? document.security ?? [];
      const optional = security.some((requirement) => Object.keys(requirement).length === 0);
      if (security.length > 0) wanted.push('401');
      if (security.length > 0 && !optional) wanted.push('403', '429');
      problems.push(...wanted.filter((s) => !declared.has(s)).map((s) => `${name}: no ${s}`));
    }
    expect(problems).toEqual([]);
  });

  it('types every parameter, body, response and property: no empty or untyped schema', () => {
    const problems: string[] = [];
    const check = (schema: Schema | undefined, where: string): void => {
      problems.push(...schemaProblems(document, schema, where));
    };
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      check(schema, `components.schemas.${name}`);
    }
    for (const { name, operation } of entries) {
      for (const p of (operation.parameters ?? []) as OpenAPIV3.ParameterObject[]) {
        check(p.schema, `${name} parameter ${p.name}`);
      }
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      for (const [type, media] of Object.entries(body?.content ?? {})) {
        check(media.schema, `${name} body ${type}`);
      }
      for (const [status, response] of Object.entries(operation.responses) as [
        string,
        OpenAPIV3.ResponseObject,
      ][]) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          check(media.schema, `${name} ${status} ${type}`);
        }
        for (const [header, value] of Object.entries(response.headers ?? {})) {
          check((value as OpenAPIV3.HeaderObject).schema, `${name} ${status} header ${header}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('types path and query parameters as the server reads them (ids as UUIDs, pages as bounded integers)', () => {
    const parameter = (operationId: string, name: string): OpenAPIV3.SchemaObject => {
      const entry = entries.find((e) => e.operation.operationId === operationId);
      const found = (entry?.operation.parameters as OpenAPIV3.ParameterObject[] | undefined)?.find(
        (p) => p.name === name,
      );
      return found?.schema as OpenAPIV3.SchemaObject;
    };
    expect(parameter('listIncidents', 'page')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(parameter('listIncidents', 'page_size')).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100,
    });
    expect(parameter('listIncidents', 'active_only')).toMatchObject({ type: 'boolean' });
    expect(parameter('listIncidents', 'state')).toMatchObject({
      type: 'array',
      items: { enum: expect.any(Array) },
    });
    const uuidParameters = entries.flatMap(({ name, operation }) =>
      ((operation.parameters ?? []) as OpenAPIV3.ParameterObject[])
        .filter((p) => p.in === 'path' && p.name !== 'file')
        .map((p) => [name, p.name, (p.schema as OpenAPIV3.SchemaObject).format]),
    );
    expect(uuidParameters.length).toBeGreaterThan(20);
    expect(uuidParameters.filter(([, , format]) => format !== 'uuid')).toEqual([]);
  });

  it('documents GET /v1/stream as a text/event-stream', () => {
    const stream = entries.find((e) => e.name === 'GET /v1/stream');
    const ok = stream?.operation.responses['200'] as OpenAPIV3.ResponseObject;
    expect(Object.keys(ok.content ?? {})).toEqual(['text/event-stream']);
  });

  it('documents every route the server registers', () => {
    const documented = new Set(entries.map((e) => e.name));
    const missing = registeredRoutes(t.app.getHttpAdapter().getInstance())
      .filter((r) => r.method !== 'OPTIONS' && !DOCUMENTATION.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/(.)\/$/, '$1').replace(/:(\w+)/g, '{$1}')}`)
      .filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
  });

  it('declares the security the server enforces: without a credential, 401 exactly where a credential is required', async () => {
    const mismatches: string[] = [];
    for (const { method, path, name, operation } of entries) {
      const security = operation.security ?? document.security ?? [];
      // `{}` among the requirements: the credential is optional (GET /metrics, depending on METRICS_PUBLIC).
      if (security.some((requirement) => Object.keys(requirement).length === 0)) continue;
      const response = await fetch(`${t.baseUrl}${path.replace(/\{\w+\}/g, SOME_UUID)}`, {
        method: method.toUpperCase(),
      });
      // An event stream that opened (a public one) would never end.
      await response.body?.cancel();
      if ((response.status === 401) !== security.length > 0) {
        mismatches.push(`${name}: security ${JSON.stringify(security)} but answered ${response.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

function allErrors(schema: string): Record<string, string> {
  return Object.fromEntries(
    ['400', '401', '403', '404', '409', '413', '415', '429', '503'].map((s) => [s, schema]),
  );
}

function operationsOf(document: Document): Entry[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item?.[method] !== undefined).map((method) => ({
      method,
      path,
      operation: item![method]!,
      name: `${method.toUpperCase()} ${path}`,
    })),
  );
}

/**
 * What is wrong with a schema, walking into it: no type (nor $ref, composition or enum), an object with neither
 * properties nor additionalProperties (`{}` in effect), an array without items, a $ref to such a schema.
 */
function schemaProblems(document: Document, schema: Schema | undefined, where: string): string[] {
  if (schema === undefined) return [`${where}: no schema`];
  if ('$ref' in schema) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (target === undefined) return [`${where}: $ref to a missing ${schema.$ref}`];
    return !('$ref' in target) && isEmptyObject(target) ? [`${where}: $ref to the empty ${name}`] : [];
  }
  const composed = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  if (schema.type === undefined && composed.length === 0 && schema.enum === undefined) {
    return [`${where}: untyped ${JSON.stringify(schema)}`];
  }
  const problems: string[] = [];
  if (isEmptyObject(schema)) problems.push(`${where}: an object without properties`);
  composed.forEach((member, i) => problems.push(...schemaProblems(document, member, `${where}[${i}]`)));
  if (schema.type === 'array') problems.push(...schemaProblems(document, schema.items, `${where}.items`));
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    problems.push(...schemaProblems(document, property, `${where}.${name}`));
  }
  if (typeof schema.additionalProperties === 'object') {
    problems.push(...schemaProblems(document, schema.additionalProperties, `${where}.additionalProperties`));
  }
  return problems;
}

function isValidated(parameter: OpenAPIV3.ParameterObject): boolean {
  return (
    parameter.in === 'query' ||
    (parameter.in === 'path' && (parameter.schema as OpenAPIV3.SchemaObject | undefined)?.format === 'uuid')
  );
}

/** `{type: object}` with nothing that says what is in it (`{nullable, type: object, allOf: [$ref]}` is fine). */
function isEmptyObject(schema: OpenAPIV3.SchemaObject): boolean {
  return (
    schema.type === 'object' &&
    [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].length === 0 &&
    Object.keys(schema.properties ?? {}).length === 0 &&
    (schema.additionalProperties === undefined || schema.additionalProperties === false)
  );
}

/**
 * Calls operations by operationId and checks each answer against the document: its status is declared, and a JSON
 * body matches the declared schema, with no property the schema does not name.
 */
class DocumentedApi {
  readonly problems: string[] = [];
  calls = 0;
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly operations: Map<string, Entry>;

  constructor(
    private readonly baseUrl: string,
    document: Document,
    readonly token: string,
  ) {
    this.operations = new Map(operationsOf(document).map((e) => [e.operation.operationId ?? e.name, e]));
  }

  /** Calls `operationId` as the admin (or with `token`, or none with `null`); returns the status and JSON body. */
  async call(
    operationId: string,
    options: {
      params?: Record<string, string>;
      query?: string;
      body?: unknown;
      contentType?: string;
      token?: string | null;
    } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const entry = this.operations.get(operationId);
    if (entry === undefined) throw new Error(`no operation ${operationId}`);
    const path = entry.path.replace(/\{(\w+)\}/g, (_, name: string) => options.params?.[name] ?? SOME_UUID);
    const token = options.token === undefined ? this.token : options.token;
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${this.baseUrl}${path}${options.query ?? ''}`, {
      method: entry.method.toUpperCase(),
      headers,
      body:
        options.body === undefined || typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    });
    this.calls += 1;
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json') && text !== '';
    const body = (json ? JSON.parse(text) : {}) as Record<string, unknown>;
    const declared = entry.operation.responses[String(response.status)] as
      OpenAPIV3.ResponseObject | undefined;
    const where = `${operationId} ${response.status}`;
    if (declared === undefined) {
      this.problems.push(`${where}: status not declared (${text.slice(0, 200)})`);
    } else if (json) {
      const schema = declared.content?.['application/json']?.schema;
      if (schema === undefined) this.problems.push(`${where}: JSON answered, none declared`);
      else this.check(schema as OpenAPIV3.SchemaObject, body, where);
    }
    return { status: response.status, body };
  }

  private check(schema: OpenAPIV3.SchemaObject, value: unknown, where: string): void {
    const validate = this.ajv.compile(strictly(schema));
    if (!validate(value)) {
      for (const error of validate.errors ?? []) {
        this.problems.push(
          `${where}: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
        );
      }
    }
  }
}

/**
 * An OpenAPI 3.0 schema as plain JSON Schema for checking answers: `nullable` becomes "or null" (also around
 * `allOf`, where OpenAPI 3.0 means it), and an object with properties admits no other property, so that a field the
 * server sends without documenting it is caught.
 */
function strictly(schema: OpenAPIV3.SchemaObject): object {
  const { nullable, properties, additionalProperties, items, allOf, oneOf, anyOf, ...rest } =
    schema as OpenAPIV3.NonArraySchemaObject & { items?: OpenAPIV3.SchemaObject };
  const sub = (s: unknown): object => strictly(s as OpenAPIV3.SchemaObject);
  const converted: Record<string, unknown> = { ...rest };
  if (properties !== undefined) {
    converted.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, sub(v)]));
  }
  if (typeof additionalProperties === 'object') converted.additionalProperties = sub(additionalProperties);
  else if (additionalProperties !== undefined) converted.additionalProperties = additionalProperties;
  else if (properties !== undefined) converted.additionalProperties = false;
  if (items !== undefined) converted.items = sub(items);
  if (allOf !== undefined) {
    converted.allOf = allOf.map(sub);
    // `{type: object, allOf: [...]}`: the members name the properties.
    if (properties === undefined) delete converted.additionalProperties;
  }
  if (oneOf !== undefined) converted.oneOf = oneOf.map(sub);
  if (anyOf !== undefined) converted.anyOf = anyOf.map(sub);
  return nullable === true ? { anyOf: [{ type: 'null' }, converted] } : converted;
}

/** Every operation, called as a client would, successes and the usual failures. */
async function walkThroughTheApi(api: DocumentedApi): Promise<void> {
  const in1h = new Date(Date.now() + 3_600_000).toISOString();
  const alert = {
    source: 'openapi-spec',
    title: 'Disk full',
    description: 'on db-1',
    severity: 'P2',
    alert_type: 'Infrastructure',
    labels: { team: 'db' },
    affected_services: ['db'],
    runbook_url: 'https://runbooks.example.com/disk',
  };

  // Definitions first, so that the incidents below get an escalation.
  const policy = await api.call('createEscalationPolicy', {
    body: {
      name: 'openapi',
      levels: [{ level: 1, delay_minutes: 60, targets: [{ type: 'user', name: 'alice' }] }],
    },
  });
  await api.call('createEscalationPolicy', {
    body: { name: 'openapi', levels: [{ level: 1, delay_minutes: 1 }] },
  });
  await api.call('createEscalationPolicy', { body: { name: '' } });
  await api.call('listEscalationPolicies');
  await api.call('getEscalationPolicy', { params: { id: String(policy.body.id) } });
  await api.call('getEscalationPolicy');
  await api.call('replaceEscalationPolicy', {
    params: { id: String(policy.body.id) },
    body: { name: 'openapi', repeat: 1, levels: [{ level: 1, delay_minutes: 60, raise_to_severity: 'P1' }] },
  });
  const channel = await api.call('createNotificationChannel', {
    body: { name: 'openapi', type: 'webhook', url: 'http://user:secret@127.0.0.1:9/hook', enabled: false },
  });
  await api.call('listNotificationChannels');
  await api.call('getNotificationChannel', { params: { id: String(channel.body.id) } });
  await api.call('replaceNotificationChannel', {
    params: { id: String(channel.body.id) },
    body: { name: 'openapi', type: 'slack', url: 'http://127.0.0.1:9/slack', enabled: false },
  });
  const playbook = await api.call('createPlaybook', {
    body: {
      name: 'openapi',
      enabled: false,
      steps: [
        { action: { type: 'add_labels', labels: { checked: 'yes' } } },
        {
          name: 'hook',
          action: { type: 'webhook', url: 'http://127.0.0.1:9/x' },
          condition: { states: ['Detected'] },
        },
      ],
    },
  });
  await api.call('listPlaybooks');
  await api.call('getPlaybook', { params: { id: String(playbook.body.id) } });
  await api.call('replacePlaybook', {
    params: { id: String(playbook.body.id) },
    body: {
      name: 'openapi',
      enabled: false,
      steps: [{ action: { type: 'add_labels', labels: { checked: 'yes' } } }],
    },
  });

  // Ingestion.
  const ack = await api.call('ingestAlert', { body: alert });
  await api.call('ingestAlert', { body: alert });
  await api.call('ingestAlert', { body: { ...alert, severity: 'P9' } });
  await api.call('ingestAlert', { body: 'source=x', contentType: 'text/plain' });
  await api.call('ingestAlertBatch', { body: { alerts: [{ ...alert, title: 'CPU hot' }] } });
  await api.call('receiveAlertmanagerWebhook', {
    body: {
      version: '4',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'HighLatency', severity: 'critical' }, fingerprint: 'f1' },
      ],
    },
  });
  await api.call('receiveGrafanaWebhook', {
    body: { alerts: [{ status: 'firing', labels: { alertname: 'GrafanaAlert' }, fingerprint: 'g1' }] },
  });
  const pagerDuty = {
    routing_key: api.token,
    event_action: 'trigger',
    payload: { summary: 'PagerDuty alert', source: 'pd', severity: 'error' },
  };
  await api.call('enqueuePagerDutyEvent', { body: pagerDuty, token: null });
  await api.call('enqueuePagerDutyEvent', { body: { ...pagerDuty, routing_key: 'unknown' }, token: null });
  await api.call('receivePagerDutyEvent', { body: { ...pagerDuty, event_action: 'nope' }, token: null });

  // Incidents.
  const id = String(ack.body.incident_id);
  const params = { id };
  await api.call('listIncidents', { query: '?page=0&page_size=5&active_only=true&severity=P2,P3' });
  await api.call('listIncidents', { query: '?page_size=1000' });
  await api.call('getIncident', { params });
  await api.call('getIncident', { params: { id: 'not-a-uuid' } });
  await api.call('getIncident');
  await api.call('getIncidentStats', { query: '?window=7d' });
  await api.call('getIncidentEscalation', { params });
  await api.call('acknowledgeIncident', { params, body: {} });
  await api.call('updateIncident', { params, body: { assignees: ['alice'], labels: { team: 'db' } } });
  await api.call('replaceIncident', { params, body: { state: 'Investigating' } });
  await api.call('addIncidentComment', { params, body: { comment: 'Looking' } });
  await api.call('escalateIncident', { params, body: { to_severity: 'P1', reason: 'Spreading' } });
  await api.call('escalateIncident', { params, body: { to_severity: 'P4', reason: 'Lower' } });
  await api.call('listIncidentAlerts', { params });
  await api.call('getAlert', { params: { id: String(ack.body.alert_id) } });
  await api.call('getAlert');
  await api.call('listEvents', { query: '?after_sequence=0&limit=1000' });
  await api.call('listEvents', { query: '?limit=0' });
  await api.call('listIncidentEvents', { params });
  const run = await api.call('runPlaybook', {
    params: { id, playbookId: String(playbook.body.id) },
    body: {},
  });
  await api.call('listIncidentPlaybookRuns', { params });
  await api.call('getPlaybookRun', { params: { id: String(run.body.id) } });
  await api.call('resolveIncident', {
    params,
    body: { method: 'Manual', notes: 'Freed space', root_cause: 'Logs' },
  });
  await api.call('resolveIncident', { params, body: { method: 'Manual', notes: 'Again' } });
  await api.call('closeIncident', { params, body: {} });
  await api.call('updateIncident', { params, body: { state: 'Detected' } });
  await api.call('createIncident', {
    body: { source: 'manual', title: 'By hand', description: '', severity: 'P3', incident_type: 'Data' },
  });

  // Silences, keys, notices.
  const silence = await api.call('createSilence', {
    body: {
      matchers: [{ name: 'alertname', op: '=~', value: 'Noisy.*' }],
      starts_at: new Date().toISOString(),
      ends_at: in1h,
      comment: 'Maintenance',
    },
  });
  await api.call('listSilences', { query: '?status=active' });
  await api.call('listSilences', { query: '?status=gone' });
  await api.call('getSilence', { params: { id: String(silence.body.id) } });
  await api.call('expireSilence', { params: { id: String(silence.body.id) } });
  const key = await api.call('createApiKey', {
    body: {
      name: 'reader',
      scopes: ['incidents:read'],
      constraint: { severities: ['P0'] },
      expires_at: in1h,
    },
  });
  await api.call('listApiKeys');
  await api.call('createIncident', {
    body: { source: 'manual', title: 'Refused', description: '', severity: 'P3', incident_type: 'Data' },
    token: String(key.body.key),
  });
  await api.call('revokeApiKey', { params: { id: String(key.body.id) } });
  await api.call('revokeApiKey');
  await api.call('listApiKeys', { token: null });
  await api.call('publishSystemEvent', {
    body: { category: 'maintenance', message: 'Database failover at 22:00' },
  });

  // Clean-up, health, the rest.
  await api.call('deletePlaybook', { params: { id: String(playbook.body.id) } });
  await api.call('deleteNotificationChannel', { params: { id: String(channel.body.id) } });
  await api.call('deleteEscalationPolicy', { params: { id: String(policy.body.id) } });
  await api.call('deleteEscalationPolicy', { params: { id: String(policy.body.id) } });
  await api.call('checkHealth', { token: null });
  await api.call('checkLiveness', { token: null });
  await api.call('checkReadiness', { token: null });
  await api.call('getMetrics');
  await api.call('getDashboard', { token: null });
  await api.call('getDashboardAsset', { params: { file: 'missing.js' }, token: null });
  await api.call('streamEvents', { query: '?severities=P9' });
}
