import { ApiErrors } from '../common/openapi/api-errors.decorator';

/** The error answers every ingestion route shares (OpenAPI). */
export const ApiIngestionErrors = (): MethodDecorator & ClassDecorator =>
  ApiErrors(
    [400, 'VALIDATION_ERROR: the body (or one alert in it) is invalid'],
    401,
    [403, 'AUTHORIZATION_ERROR: the credential lacks the alerts:write scope'],
    413,
    415,
    [
      429,
      'RATE_LIMIT_EXCEEDED (with Retry-After): the credential is over INGEST_RATE_LIMIT_PER_KEY alerts per ' +
        'second, counting every alert the body carries, or the address over HTTP_RATE_LIMIT_PER_SECOND requests',
    ],
  );
