import type { EventLogRepository, StoredEventRow } from '../../events/event-log.repository';
import { EventType } from '../../events/event.types';
import { matchSubjectsOf } from '../../events/match-subject';
import type { StreamConnection } from '../connections/stream-connection';
import { SendQueue } from '../connections/send-queue';
import { ShedLog } from '../connections/shed-log';
import type { ControlMessage } from '../protocol/stream-protocol';
import { Subscription } from '../routing/subscription';
import { SubscriptionFilter } from '../routing/subscription-filter';
import type { StreamMetrics } from '../stream-metrics';
import type { OutboundFrame } from '../transport/outbound-frame';
import { ReplayService } from './replay.service';

function row(sequence: number): StoredEventRow {
  const event = { event_type: EventType.SystemEvent, category: 'c', message: `m${sequence}`, metadata: {} };
  return {
    sequence,
    id: `id-${sequence}`,
    event_type: event.event_type,
    incident_id: null,
    created_at: '2026-12-01T00:00:00.000Z',
    payload: JSON.stringify(event),
    match_subjects: JSON.stringify(matchSubjectsOf(event, null, null)),
  };
}

/** A log whose entries can disappear from the front while a replay reads it (retention). */
class FakeLog {
  constructor(public rows: StoredEventRow[]) {}
  readRange(after: number, through: number, limit: number): Promise<StoredEventRow[]> {
    return Promise.resolve(
      this.rows.filter((r) => r.sequence > after && r.sequence <= through).slice(0, limit),
    );
  }
  oldestSequence(): Promise<number | null> {
    return Promise.resolve(this.rows[0]?.sequence ?? null);
  }
}

/** The parts of a connection a replay uses, recording what it was sent. */
function fakeConnection(capacity: number) {
  const sent: number[] = [];
  const replies: ControlMessage[] = [];
  const queue = new SendQueue(capacity);
  const connection = {
    queue,
    isOpen: true,
    subscriptions: new Map<string, Subscription>(),
    retired: null,
    highWaterBytes: 0,
    flushNow: () => undefined,
    whenQueueBelow: () => Promise.resolve(),
    deliverReplayed: (frame: OutboundFrame) => sent.push(frame.sequence),
    reply: (message: ControlMessage) => replies.push(message),
  };
  return { connection: connection as unknown as StreamConnection, sent, replies, raw: connection };
}

describe('ReplayService', () => {
  const metrics = { eventsReplayed: jest.fn() } as unknown as StreamMetrics;
  const all = SubscriptionFilter.from({});

  it('sends every entry in (replayFrom, position] in order, across pages', async () => {
    const log = new FakeLog(Array.from({ length: 1200 }, (_, i) => row(i + 1)));
    const replays = new ReplayService(log as unknown as EventLogRepository, metrics);
    const { connection, sent, raw } = fakeConnection(1000);
    const subscription = new Subscription('s', all, 1100, 10);
    raw.subscriptions.set('s', subscription);
    expect(await replays.replay(connection, subscription, 1100)).toBe(1090);
    expect(sent).toEqual(Array.from({ length: 1090 }, (_, i) => i + 11));
    expect(subscription.replayedTo).toBe(1100);
  });

  it('skips what another subscription of the connection covers, unless its queue shed it', async () => {
    const log = new FakeLog(Array.from({ length: 10 }, (_, i) => row(i + 1)));
    const replays = new ReplayService(log as unknown as EventLogRepository, metrics);
    const { connection, sent, raw } = fakeConnection(100);
    // Live since 5: it delivered 6..10, except 8, which the queue shed.
    raw.subscriptions.set('live', new Subscription('live', all, 5));
    raw.queue.shedLog = new ShedLog();
    raw.queue.shedLog.add(8);
    const resumed = new Subscription('resumed', all, 10, 0);
    raw.subscriptions.set('resumed', resumed);
    await replays.replay(connection, resumed, 10);
    expect(sent).toEqual([1, 2, 3, 4, 5, 8]);
    expect(raw.queue.shedLog.has(8)).toBe(false);
  });

  it('reports entries pruned while it ran as a gap, and goes on from the oldest kept', async () => {
    const log = new FakeLog(Array.from({ length: 1000 }, (_, i) => row(i + 1)));
    const replays = new ReplayService(log as unknown as EventLogRepository, metrics);
    const { connection, sent, replies, raw } = fakeConnection(1000);
    const subscription = new Subscription('s', all, 1000, 0);
    raw.subscriptions.set('s', subscription);
    // Retention removes 1..700 right after the first page (500 entries) was read.
    const read = log.readRange.bind(log);
    let pages = 0;
    log.readRange = async (after, through, limit) => {
      const rows = await read(after, through, limit);
      if (++pages === 1) log.rows = log.rows.filter((r) => r.sequence > 700);
      return rows;
    };
    await replays.replay(connection, subscription, 1000);
    expect(replies).toEqual([{ type: 'gap', from_sequence: 501, to_sequence: 700, dropped: 200 }]);
    expect(sent).toEqual([
      ...Array.from({ length: 500 }, (_, i) => i + 1),
      ...Array.from({ length: 300 }, (_, i) => i + 701),
    ]);
  });

  it('stops when the subscription is replaced', async () => {
    const log = new FakeLog(Array.from({ length: 2000 }, (_, i) => row(i + 1)));
    const replays = new ReplayService(log as unknown as EventLogRepository, metrics);
    const { connection, sent, raw } = fakeConnection(1000);
    const subscription = new Subscription('s', all, 2000, 0);
    raw.subscriptions.set('s', subscription);
    raw.whenQueueBelow = () => {
      if (sent.length > 0) raw.subscriptions.set('s', new Subscription('s', all, 2000));
      return Promise.resolve();
    };
    await replays.replay(connection, subscription, 2000);
    expect(sent).toHaveLength(500);
    expect(subscription.replayedTo).toBe(500);
  });
});
