import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ACCESS_METADATA, Access } from '../src/auth/access.decorator';
import { registeredRoutes } from './support/routes';
import { TestApp, startTestApp } from './support/test-app';

interface Handler {
  route: string;
  access: Access | undefined;
}

/** Every controller method Nest mapped to a route, as `METHOD /path`, with the access it declares. */
function nestHandlers(t: TestApp): Handler[] {
  const handlers: Handler[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (controller === null) continue;
      const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const method = prototype[name];
        if (name === 'constructor' || typeof method !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, method) as string | undefined;
        if (path === undefined) continue;
        const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod];
        const joined = `/${[prefix, path].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        handlers.push({
          route: `${verb} ${joined}`,
          access:
            (Reflect.getMetadata(ACCESS_METADATA, method) as Access | undefined) ??
            (Reflect.getMetadata(ACCESS_METADATA, controller) as Access | undefined),
        });
      }
    }
  }
  return handlers;
}

/** Served by Fastify plugins, not by controllers: the OpenAPI UI and document (public by contract). */
const OUTSIDE_NEST = /^\/docs([/*-]|$)/;

describe('every route declares who may call it', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('finds the routes (the enumeration itself works)', () => {
    const routes = nestHandlers(t).map((h) => h.route);
    expect(routes).toEqual(
      expect.arrayContaining(['POST /v1/alerts', 'GET /v1/incidents/:id', 'GET /metrics', 'GET /health']),
    );
  });

  it('has an access declaration on every controller route', () => {
    const undeclared = nestHandlers(t)
      .filter((h) => h.access === undefined)
      .map((h) => h.route);
    expect(undeclared).toEqual([]);
  });

  it('serves no route outside the controllers except the documentation', () => {
    const declared = new Set(nestHandlers(t).map((h) => h.route));
    const fastifyRoutes = registeredRoutes(t.app.getHttpAdapter().getInstance())
      .filter((r) => r.method !== 'OPTIONS' && !OUTSIDE_NEST.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/(.)\/$/, '$1')}`);
    expect(fastifyRoutes.filter((route) => !declared.has(route))).toEqual([]);
  });

  it('takes a credential from the body only on the PagerDuty routes (its routing_key, with alerts:write)', () => {
    const inBody = nestHandlers(t)
      .filter((h) => h.access?.kind === 'body-credential')
      .map((h) => [h.route, h.access]);
    expect(inBody).toEqual([
      ['POST /v2/enqueue', { kind: 'body-credential', field: 'routing_key', scope: 'alerts:write' }],
      [
        'POST /v1/integrations/pagerduty',
        { kind: 'body-credential', field: 'routing_key', scope: 'alerts:write' },
      ],
    ]);
  });

  it('keeps only the health checks and the dashboard page public', () => {
    const open = nestHandlers(t)
      .filter((h) => h.access?.kind === 'public')
      .map((h) => h.route)
      .sort();
    expect(open).toEqual([
      'GET /',
      'GET /assets/:file',
      'GET /health',
      'GET /health/live',
      'GET /health/ready',
    ]);
  });
});
