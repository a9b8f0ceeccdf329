import type { FastifyInstance } from 'fastify';

export interface Route {
  method: string;
  /** As registered, with `:param` and `*` placeholders. */
  path: string;
}

/**
 * Every route the HTTP server registers, read from Fastify's route tree (`printRoutes`), so that a route added later
 * is covered without editing the specs that use this. HEAD (Fastify adds one per GET) is left out. Each line of the
 * tree is `<4 characters per level>├── <segment> (<METHODS>)`; a route's path is its ancestors' segments joined.
 */
export function registeredRoutes(fastify: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const ancestors: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    ancestors.length = depth;
    ancestors.push(match[2]);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) {
      routes.push({ method, path: ancestors.join('') });
    }
  }
  return routes;
}
