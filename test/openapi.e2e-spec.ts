import SwaggerParser from '@apidevtools/swagger-parser';
import { mkdtempSync, rmSync } from 'node:fs';
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
