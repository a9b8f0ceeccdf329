import { FallbackClient } from './fallback-client';
import type { DashboardClient } from './sdk';

/** The connection to the server the page came from. */
export function createClient(token: string | undefined): DashboardClient {
  return new FallbackClient({ url: location.origin, token });
}
