import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';

/** The error answers every ingestion route shares (OpenAPI). */
export const ApiIngestionErrors = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiResponse({ status: 400, description: 'VALIDATION_ERROR: the body (or one alert in it) is invalid' }),
    ApiResponse({ status: 401, description: 'AUTHENTICATION_ERROR: no valid credential' }),
    ApiResponse({
      status: 403,
      description: 'AUTHORIZATION_ERROR: the credential lacks the alerts:write scope',
    }),
    ApiResponse({ status: 413, description: 'PAYLOAD_TOO_LARGE: the body is over HTTP_BODY_LIMIT_BYTES' }),
    ApiResponse({ status: 415, description: 'UNSUPPORTED_MEDIA_TYPE: the body is not sent as JSON' }),
    ApiResponse({
      status: 429,
      description:
        'RATE_LIMIT_EXCEEDED (with Retry-After): the credential is over INGEST_RATE_LIMIT_PER_KEY alerts per second, counting every alert the body carries',
    }),
  );
