import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { alertBody } from './support/fixtures';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { startTestApp, TestApp } from './support/test-app';

const ALERTS_PER_NODE = 200;
const IN_FLIGHT_PER_NODE = 16;

/**
 * Contract section 11: `sequence` stays strictly increasing in commit order across nodes. Two app instances share
 * one PostgreSQL database and write concurrently while a reader polls `GET /v1/events?after_sequence=<last seen>` on
 * one of them: no event may become visible below the last sequence the reader saw (it would be skipped for good).
 *
 * To make a reordering near certain without the publisher's append lock, a test-only trigger sleeps 30 ms after an
 * insert into event_log whose first sequence is odd, inside the inserting transaction (between drawing the sequences
 * and committing them): the other node's next append, drawn later with an even first sequence, commits first, and
 * the readers, polling side by side, see it before the older one. With the lock, the other node waits for that
 * commit before it draws its sequences. Checked: with the lock switched off, every run of 10 failed.
 */
describeIfPostgres('event log sequence across two nodes (PostgreSQL)', () => {
  const database = `llm_im_test_${randomBytes(6).toString('hex')}`;
  const url = postgresDatabaseUrl(database);
  const nodes: TestApp[] = [];

  beforeAll(async () => {
    await admin(TEST_DATABASE_URL, `CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.cleanup()));
    await admin(TEST_DATABASE_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('a reader polling after its last seen sequence never misses an event committed later by the other node', async () => {
    const overrides = { DATABASE_URL: url, HTTP_RATE_LIMIT_PER_SECOND: '0' };
    nodes.push(await startTestApp(overrides));
    nodes.push(await startTestApp(overrides));
    // Created once the first node has migrated the database.
    await admin(
      url,
      `create function test_slow_append() returns trigger language plpgsql as $$
         begin
           if (select min(sequence) from appended) % 2 = 1 then perform pg_sleep(0.03); end if;
           return null;
         end $$;
       create trigger test_slow_append after insert on event_log referencing new table as appended
         for each statement execute function test_slow_append();`,
    );

    let writing = true;
    const writers = Promise.all(nodes.map((node) => writeAlerts(node.baseUrl))).finally(() => {
      writing = false;
    });

    // Readers polling side by side (two on each node), each from its own last seen sequence: more chances to poll
    // between two commits that came out of order.
    const readers = [0, 1, 0, 1].map((n) => ({
      baseUrl: nodes[n].baseUrl,
      seen: [] as number[],
      last: 0,
      polls: 0,
    }));
    const poll = async (reader: (typeof readers)[number]): Promise<number> => {
      const page = await readPage(reader.baseUrl, reader.last);
      reader.polls += 1;
      reader.seen.push(...page);
      if (page.length > 0) reader.last = page[page.length - 1];
      return page.length;
    };
    await Promise.all(
      readers.map(async (reader) => {
        while (writing) await poll(reader);
      }),
    );
    await writers;
    for (const reader of readers) while ((await poll(reader)) > 0);

    // Everything stored, read from the start: exactly what each reader's polls saw, in the same order.
    const stored: number[] = [];
    for (let page = await readPage(nodes[0].baseUrl, 0); page.length > 0;) {
      stored.push(...page);
      page = await readPage(nodes[0].baseUrl, page[page.length - 1]);
    }
    expect(stored.length).toBeGreaterThanOrEqual(2 * ALERTS_PER_NODE);
    for (const reader of readers) {
      expect(reader.polls).toBeGreaterThan(10);
      const storedSet = new Set(stored);
      const seenSet = new Set(reader.seen);
      expect(reader.seen.filter((s) => !storedSet.has(s))).toEqual([]);
      expect(stored.filter((s) => !seenSet.has(s))).toEqual([]);
      expect(reader.seen).toEqual(stored);
    }
  }, 120_000);
});

/** POSTs ALERTS_PER_NODE new alerts to a node, IN_FLIGHT_PER_NODE at a time. */
async function writeAlerts(baseUrl: string): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ALERTS_PER_NODE) {
      next += 1;
      const response = await fetch(`${baseUrl}/v1/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertBody()),
      });
      if (response.status !== 200) {
        throw new Error(`POST /v1/alerts: ${response.status} ${await response.text()}`);
      }
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT_PER_NODE }, worker));
}

/** The sequences of the events after `after`, oldest first (one page of up to 1000). */
async function readPage(baseUrl: string, after: number): Promise<number[]> {
  const response = await fetch(`${baseUrl}/v1/events?after_sequence=${after}&limit=1000`);
  if (response.status !== 200) throw new Error(`GET /v1/events: ${response.status}`);
  const body = (await response.json()) as { events: { sequence: number }[] };
  return body.events.map((e) => e.sequence);
}

async function admin(connectionString: string, sql: string): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
