import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeOnEachStore } from '../../test/support/stores';
import type { AppConfig } from '../config/app-config';
import { DatabaseService } from '../storage/database.service';
import {
  ClaimRequest,
  NotificationOutboxRepository,
  OutboxRow,
  OutboxStatus,
} from './notification-outbox.repository';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

let sequence = 0;
function row(overrides: Partial<OutboxRow> = {}): OutboxRow {
  sequence += 1;
  return {
    id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    incident_id: 'i-1',
    trigger: 'incident_created',
    channel_label: 'ops',
    channel_type: 'webhook',
    url: 'http://127.0.0.1:1/a',
    headers: '{}',
    body: '{}',
    attempts: 0,
    status: OutboxStatus.Pending,
    next_attempt_at: at(0),
    leased_until: null,
    lease_owner: null,
    last_status_code: null,
    last_error: null,
    created_at: at(sequence),
    updated_at: at(sequence),
    ...overrides,
  };
}

function claimAt(ms: number, owner: string, extra: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    now: at(ms),
    leasedUntil: at(ms + 10_000),
    owner,
    window: 64,
    excludeUrls: [],
    accept: () => true,
    ...extra,
  };
}

describeOnEachStore('NotificationOutboxRepository', (store) => {
  let dir: string;
  let database: DatabaseService;
  let outbox: NotificationOutboxRepository;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-outbox-'));
    const url = store.overrides().DATABASE_URL ?? `file:${join(dir, 'outbox.db')}`;
    database = new DatabaseService({ database: { url } } as AppConfig);
    await database.onModuleInit();
    await database.db.deleteFrom('notification_outbox').execute();
    outbox = new NotificationOutboxRepository(database);
  });

  afterEach(async () => {
    await database.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims due rows oldest due first, leases them, and leaves rows not yet due', async () => {
    const later = row({ next_attempt_at: at(2000) });
    const second = row({ next_attempt_at: at(500) });
    const first = row({ next_attempt_at: at(100) });
    for (const r of [later, second, first]) await outbox.insert(r);

    const { rows, full } = await outbox.claim(claimAt(1000, 'node-a'));
    expect(rows.map((r) => r.id)).toEqual([first.id, second.id]);
    expect(full).toBe(false);
    expect(rows[0]).toMatchObject({
      status: 'delivering',
      lease_owner: 'node-a',
      leased_until: at(11_000),
      next_attempt_at: at(11_000),
    });
    expect(await outbox.countUnfinished()).toBe(3);
    expect(await outbox.nextDueAt()).toBe(at(2000));
  });

  it('does not claim a leased row again until its lease ends; then its old holder can no longer finish it', async () => {
    const r = row();
    await outbox.insert(r);
    expect((await outbox.claim(claimAt(0, 'node-a'))).rows).toHaveLength(1);
    expect((await outbox.claim(claimAt(9_999, 'node-b'))).rows).toHaveLength(0);
    const taken = await outbox.claim(claimAt(10_000, 'node-b'));
    expect(taken.rows).toMatchObject([{ id: r.id, lease_owner: 'node-b', attempts: 0 }]);

    const update = {
      status: OutboxStatus.Delivered,
      attempts: 1,
      next_attempt_at: null,
      last_status_code: 200,
      last_error: null,
      updated_at: at(10_500),
    };
    expect(await outbox.finish(r.id, 'node-a', update)).toBe(false);
    expect(await outbox.finish(r.id, 'node-b', update)).toBe(true);
    expect(await outbox.get(r.id)).toMatchObject({ status: 'delivered', attempts: 1, lease_owner: null });
    expect(await outbox.countUnfinished()).toBe(0);
  });

  it('skips excluded destinations and the candidates `accept` refuses, and says when the window was full', async () => {
    const busy = row({ url: 'http://127.0.0.1:1/busy' });
    const refused = row({ url: 'http://127.0.0.1:1/b' });
    const taken = row({ url: 'http://127.0.0.1:1/c' });
    for (const r of [busy, refused, taken]) await outbox.insert(r);
    const { rows, full } = await outbox.claim(
      claimAt(0, 'node-a', {
        window: 2,
        excludeUrls: [busy.url],
        accept: (candidate) => candidate.id !== refused.id,
      }),
    );
    expect(rows.map((r) => r.id)).toEqual([taken.id]);
    expect(full).toBe(true);
    expect((await outbox.get(refused.id))?.status).toBe('pending');
  });

  it('never hands one row to two workers claiming at the same moment', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      const r = row();
      ids.add(r.id);
      await outbox.insert(r);
    }
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((owner) => outbox.claim(claimAt(0, owner, { window: 15 }))),
    );
    const claimed = claims.flatMap((c) => c.rows.map((r) => r.id));
    expect(new Set(claimed).size).toBe(claimed.length);
    const rest = await outbox.claim(claimAt(0, 'e'));
    expect(new Set([...claimed, ...rest.rows.map((r) => r.id)])).toEqual(ids);
  });

  it('puts back a cut attempt (its holder only) and, at a single-process start, every claimed row', async () => {
    const [a, b] = [row(), row()];
    await outbox.insert(a);
    await outbox.insert(b);
    await outbox.claim(claimAt(0, 'node-a'));
    await outbox.release(a.id, 'node-b', at(100));
    expect((await outbox.get(a.id))?.status).toBe('delivering');
    await outbox.release(a.id, 'node-a', at(100));
    expect(await outbox.get(a.id)).toMatchObject({
      status: 'pending',
      next_attempt_at: at(100),
      lease_owner: null,
    });
    expect(await outbox.releaseAll(at(200))).toBe(1);
    expect(await outbox.get(b.id)).toMatchObject({
      status: 'pending',
      next_attempt_at: at(200),
      attempts: 0,
    });
    expect(outbox.singleProcess).toBe(store.name === 'SQLite');
  });

  it('prunes finished rows older than the cut-off and keeps the rest', async () => {
    const old = row({ status: OutboxStatus.Delivered, next_attempt_at: null, updated_at: at(0) });
    const failed = row({ status: OutboxStatus.Failed, next_attempt_at: null, updated_at: at(5000) });
    const pending = row({ updated_at: at(0) });
    for (const r of [old, failed, pending]) await outbox.insert(r);
    expect(await outbox.pruneFinished(at(1000))).toBe(1);
    expect(await outbox.get(old.id)).toBeUndefined();
    expect(await outbox.get(failed.id)).toBeDefined();
    expect(await outbox.get(pending.id)).toBeDefined();
  });
});
