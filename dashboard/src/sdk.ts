import { ApiError } from '@llm-incident-manager/client';

/** The answer of a REST call that failed with an HTTP status, or null for any other failure. */
export function apiErrorOf(error: unknown): ApiError | null {
  return error instanceof ApiError ? error : null;
}
