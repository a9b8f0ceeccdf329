/**
 * The PostgreSQL server the PostgreSQL e2e specs run against (an admin URL, trust auth on CI:
 * `postgres://postgres@127.0.0.1:5432/test`). Each spec creates its own database there and drops it afterwards.
 * Unset, those specs are skipped, not failed: the rest of the suite needs no external service.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';

/** `describe` when TEST_DATABASE_URL is set; otherwise `describe.skip`, with the reason printed once per spec. */
export function describeIfPostgres(name: string, fn: () => void): void {
  if (TEST_DATABASE_URL !== '') {
    describe(name, fn);
    return;
  }
  // Written straight out: Jest does not show the console output of a suite whose tests were all skipped.
  process.stderr.write(
    `skipped "${name}": TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)\n`,
  );
  describe.skip(name, fn);
}

/**
 * TEST_DATABASE_URL with its database replaced by `database` (same server, user and options); empty when it is unset
 * (a skipped describe block still runs its body to collect the tests).
 */
export function postgresDatabaseUrl(database: string): string {
  if (TEST_DATABASE_URL === '') return '';
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
