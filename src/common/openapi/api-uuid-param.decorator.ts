import { ApiParam } from '@nestjs/swagger';

/** OpenAPI of a `@UuidParam(name)` path parameter: a UUID (any case; a malformed one is a 400). */
export function ApiUuidParam(name = 'id', description?: string): MethodDecorator {
  return ApiParam({ name, type: String, format: 'uuid', ...(description ? { description } : {}) });
}
