import { SetMetadata } from '@nestjs/common';
import { Scope } from './scopes';

/** Who may call a route. Every route declares one (a test enumerates them); a route without one is refused. */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'credential' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'scope'; readonly scope: Scope }
  | { readonly kind: 'body-credential'; readonly field: string; readonly scope: Scope };

export const ACCESS_METADATA = 'llm_im:access';

/** Anyone, without a credential (health checks). */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Access>(ACCESS_METADATA, { kind: 'public' });

/** Any valid credential, whatever its scopes (metrics, unless METRICS_PUBLIC). */
export const AnyCredential = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Access>(ACCESS_METADATA, { kind: 'credential' });

/** The Prometheus scrape: public with METRICS_PUBLIC=true, otherwise any valid credential. */
export const MetricsAccess = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Access>(ACCESS_METADATA, { kind: 'metrics' });

/** A credential with `scope` (or `admin`). */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Access>(ACCESS_METADATA, { kind: 'scope', scope });

/**
 * A credential with `scope` (or `admin`), presented as the string field `field` of the JSON body instead of the
 * Authorization header: for senders whose protocol carries its key in the body (PagerDuty's `routing_key`). The
 * same AuthService, failure metric and AUTH_MODE=none rule as the header; the route renders the failures itself.
 */
export const RequireBodyCredential = (field: string, scope: Scope): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Access>(ACCESS_METADATA, { kind: 'body-credential', field, scope });
