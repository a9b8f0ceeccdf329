import { BroadcasterService } from '../broadcaster.service';
import type { EventEnvelope } from '../event-envelope';
import type { StoredEventRow } from '../event-log.repository';
import { EventType, type DomainEvent } from '../event.types';
import { matchSubjectsOf } from '../match-subject';
import { EventPriority } from '../event-priority';
import { AnnouncedEvent, ClusterSequencer, LogReader } from './cluster-sequencer';

function event(sequence: number): DomainEvent {
  return { event_type: EventType.SystemEvent, category: 'test', message: `#${sequence}`, metadata: {} };
}

function row(sequence: number): StoredEventRow {
  const e = event(sequence);
  return {
    sequence,
    id: `remote-${sequence}`,
    event_type: e.event_type,
    incident_id: null,
    created_at: '2026-12-02T00:00:00.000Z',
    payload: JSON.stringify(e),
    match_subjects: JSON.stringify(matchSubjectsOf(e, null, null)),
  };
}

/** Another node's event as its announcement carries it, coming right after `after`. */
function carried(sequence: number, after = sequence - 1): AnnouncedEvent {
  const { id, created_at, payload, match_subjects } = row(sequence);
  return { after, sequence, id, created_at, payload, match_subjects };
}

function local(sequence: number): EventEnvelope {
  const e = event(sequence);
  return {
    id: `local-${sequence}`,
    sequence,
    timestamp: '2026-12-02T00:00:00.000Z',
    event: e,
    eventJson: JSON.stringify(e),
    priority: EventPriority.Normal,
    incident: null,
    previous: null,
    subjects: matchSubjectsOf(e, null, null),
    publishedAt: 0,
  };
}

/** A log holding `rows`; each read resolves when the test releases it, so interleavings are explicit. */
class ManualLog implements LogReader {
  readonly rows = new Map<number, StoredEventRow>();
  readonly reads: { after: number; through: number }[] = [];

  readRange(after: number, through: number, limit: number): Promise<StoredEventRow[]> {
    this.reads.push({ after, through });
    const found = [...this.rows.values()]
      .filter((r) => r.sequence > after && r.sequence <= through)
      .sort((a, b) => a.sequence - b.sequence)
      .slice(0, limit);
    return Promise.resolve(found);
  }

  add(...sequences: number[]): void {
    for (const s of sequences) this.rows.set(s, row(s));
  }
}

/** Lets every pending promise callback run (the sequencer's reads resolve at once here). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClusterSequencer', () => {
  let broadcaster: BroadcasterService;
  let log: ManualLog;
  let sequencer: ClusterSequencer;
  let all: string[];
  let listened: string[];
  let announced: number[];

  beforeEach(() => {
    broadcaster = new BroadcasterService();
    log = new ManualLog();
    announced = [];
    sequencer = new ClusterSequencer(broadcaster, log, {
      localDelivered: (e) => announced.push(e.sequence),
      remoteDelivered: () => undefined,
    });
    broadcaster.attach(sequencer);
    all = [];
    listened = [];
    broadcaster.events$.subscribe((e) => all.push(e.id));
    broadcaster.listen('test', (e) => listened.push(e.id));
  });

  afterEach(() => broadcaster.onApplicationShutdown());

  it('delivers a local event that follows the head at once, without reading the log', () => {
    broadcaster.publish(local(1));
    expect(all).toEqual(['local-1']);
    expect(listened).toEqual(['local-1']);
    expect(announced).toEqual([1]);
    expect(log.reads).toEqual([]);
  });

  it('delivers announced remote events from the log in order, to observers but not to listeners', async () => {
    log.add(1, 2, 3);
    sequencer.committed(3);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'remote-3']);
    expect(listened).toEqual([]);
    expect(broadcaster.head).toBe(3);
  });

  it('holds a local event until the older remote ones are delivered', async () => {
    log.add(1, 2);
    broadcaster.publish(local(3));
    expect(all).toEqual([]);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'local-3']);
    expect(listened).toEqual(['local-3']);
    expect(announced).toEqual([3]);
  });

  it('skips sequences that rolled back instead of waiting for them', async () => {
    log.add(1, 3);
    sequencer.committed(4);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-3']);
    expect(broadcaster.head).toBe(4);
    broadcaster.publish(local(5));
    expect(all).toEqual(['remote-1', 'remote-3', 'local-5']);
  });

  it('fills a gap left by a lost announcement when a later one arrives', async () => {
    log.add(1, 2, 3, 4, 5);
    sequencer.committed(2);
    await settle();
    sequencer.committed(5);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'remote-3', 'remote-4', 'remote-5']);
  });

  it('gives the listeners a local event that the log delivered first, and nothing twice to observers', async () => {
    log.add(1);
    sequencer.committed(1);
    await settle();
    broadcaster.publish({ ...local(1), id: 'remote-1' });
    expect(all).toEqual(['remote-1']);
    expect(listened).toEqual(['remote-1']);
  });

  it('queues a local event that arrives while older events are being read, behind them', async () => {
    log.add(1, 2);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = log.readRange.bind(log);
    jest.spyOn(log, 'readRange').mockImplementation(async (after, through, limit) => {
      await gate;
      return read(after, through, limit);
    });
    sequencer.committed(2);
    broadcaster.publish(local(3));
    broadcaster.publish(local(4));
    expect(all).toEqual([]);
    release();
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'local-3', 'local-4']);
    expect(listened).toEqual(['local-3', 'local-4']);
    expect(announced).toEqual([3, 4]);
  });

  it('retries a failed read on the next announcement', async () => {
    log.add(1);
    jest.spyOn(log, 'readRange').mockRejectedValueOnce(new Error('connection lost'));
    sequencer.committed(1);
    await settle();
    expect(all).toEqual([]);
    sequencer.committed(1);
    await settle();
    expect(all).toEqual(['remote-1']);
  });

  it('ignores an announcement of what was delivered already', async () => {
    broadcaster.publish(local(1));
    sequencer.committed(1);
    await settle();
    expect(all).toEqual(['local-1']);
    expect(log.reads).toEqual([]);
  });

  it('delivers the events an announcement carries from the message when they come next, without reading the log', async () => {
    log.add(1, 2, 3);
    sequencer.announced(3, [carried(1), carried(2), carried(3)]);
    expect(all).toEqual(['remote-1', 'remote-2', 'remote-3']);
    expect(listened).toEqual([]);
    await settle();
    expect(log.reads).toEqual([]);
  });

  it('reads from the log what does not come next: this node behind, or an event the message left out', async () => {
    log.add(1, 2, 3, 4);
    // 1 never reached this node: 2..3 cannot be delivered before it.
    sequencer.announced(3, [carried(2), carried(3)]);
    expect(all).toEqual([]);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'remote-3']);
    // A message that carries only part of its batch (size bound): the rest comes from the log.
    sequencer.announced(4, []);
    await settle();
    expect(all).toEqual(['remote-1', 'remote-2', 'remote-3', 'remote-4']);
  });

  it('skips carried events delivered already, and leaves them to the log while a catch-up runs', async () => {
    log.add(1, 2, 3);
    broadcaster.publish(local(1));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = log.readRange.bind(log);
    jest.spyOn(log, 'readRange').mockImplementation(async (after, through, limit) => {
      await gate;
      return read(after, through, limit);
    });
    sequencer.committed(2);
    // A read is under way: the message's events wait for it rather than overtake it.
    sequencer.announced(3, [carried(1), carried(2), carried(3)]);
    expect(all).toEqual(['local-1']);
    release();
    await settle();
    expect(all).toEqual(['local-1', 'remote-2', 'remote-3']);
  });
});
