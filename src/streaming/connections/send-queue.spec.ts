import { EventPriority } from '../../events/event-priority';
import { CONTROL_PRIORITY, OutboundFrame } from '../transport/outbound-frame';
import { prng } from '../../../test/support/prng';
import { Offer, SendQueue } from './send-queue';

function frame(name: string, priority: number, sequence = Number.NaN): OutboundFrame {
  const isControl = priority === CONTROL_PRIORITY;
  return new OutboundFrame(
    Buffer.from(name),
    isControl ? 'pong' : 'event',
    priority as EventPriority,
    isControl ? null : 'system_event',
    0,
    sequence,
  );
}

function drain(queue: SendQueue): string[] {
  const names: string[] = [];
  let next: OutboundFrame | undefined;
  while ((next = queue.shift()) !== undefined) names.push(next.data.toString());
  return names;
}

const { Low, Normal, High, Critical } = EventPriority;

describe('SendQueue', () => {
  it('keeps queue order across priorities and control frames', () => {
    const queue = new SendQueue(10);
    queue.offerEvent(frame('n1', Normal));
    queue.offerControl(frame('c1', CONTROL_PRIORITY));
    queue.offerEvent(frame('l1', Low));
    queue.offerEvent(frame('x1', Critical));
    queue.offerEvent(frame('h1', High));
    expect(drain(queue)).toEqual(['n1', 'c1', 'l1', 'x1', 'h1']);
    expect(queue.isEmpty).toBe(true);
  });

  it('when full, sheds the oldest Low first, then Normal, then High, to make room for a more important frame', () => {
    const queue = new SendQueue(4);
    for (const [name, p] of [
      ['h1', High],
      ['n1', Normal],
      ['l1', Low],
      ['l2', Low],
    ] as const) {
      expect(queue.offerEvent(frame(name, p))).toBe(Offer.Queued);
    }
    expect(queue.offerEvent(frame('n2', Normal))).toBe(Low);
    expect(queue.offerEvent(frame('h2', High))).toBe(Low);
    expect(queue.offerEvent(frame('x1', Critical))).toBe(Normal);
    expect(queue.offerEvent(frame('x2', Critical))).toBe(Normal);
    expect(queue.offerEvent(frame('x3', Critical))).toBe(High);
    expect(drain(queue)).toEqual(['h2', 'x1', 'x2', 'x3']);
  });

  it('sheds an incoming frame that is not more important than anything queued', () => {
    const queue = new SendQueue(2);
    queue.offerEvent(frame('n1', Normal));
    queue.offerEvent(frame('h1', High));
    expect(queue.offerEvent(frame('l1', Low))).toBe(Low);
    expect(queue.offerEvent(frame('n2', Normal))).toBe(Normal);
    expect(drain(queue)).toEqual(['n1', 'h1']);
  });

  it('overflows when a Critical frame finds only Critical frames', () => {
    const queue = new SendQueue(2);
    queue.offerEvent(frame('x1', Critical));
    queue.offerEvent(frame('x2', Critical));
    expect(queue.offerEvent(frame('x3', Critical))).toBe(Offer.Overflow);
    expect(drain(queue)).toEqual(['x1', 'x2']);
  });

  it('bounds control frames separately and never sheds them', () => {
    const queue = new SendQueue(2);
    queue.offerEvent(frame('x1', Critical));
    queue.offerEvent(frame('x2', Critical));
    expect(queue.offerControl(frame('c1', CONTROL_PRIORITY))).toBe(true);
    expect(queue.offerControl(frame('c2', CONTROL_PRIORITY))).toBe(true);
    expect(queue.offerControl(frame('c3', CONTROL_PRIORITY))).toBe(false);
    expect(queue.size).toBe(4);
    expect(queue.clear()).toBe(4);
    expect(queue.isEmpty).toBe(true);
  });

  it('reuses its storage across many fill and drain cycles', () => {
    const queue = new SendQueue(3000);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2500; i++) queue.offerEvent(frame(String(i), i % 4));
      const drained = drain(queue);
      expect(drained).toHaveLength(2500);
      expect(drained[0]).toBe('0');
      expect(drained[2499]).toBe('2499');
    }
  });

  it('tallies what it sheds for the next gap: how many, and the lowest and highest sequence among them', () => {
    const queue = new SendQueue(2);
    queue.offerEvent(frame('l5', Low, 5));
    queue.offerEvent(frame('n6', Normal, 6));
    expect(queue.shedCount).toBe(0);
    // The incoming frame is shed (nothing less important is queued) ...
    expect(queue.offerEvent(frame('l7', Low, 7))).toBe(Low);
    // ... or an older, less important one makes room for it: the range is min..max, not the order of shedding.
    expect(queue.offerEvent(frame('h8', High, 8))).toBe(Low);
    expect(queue.offerEvent(frame('n9', Normal, 9))).toBe(Normal);
    expect({ count: queue.shedCount, from: queue.shedFrom, to: queue.shedTo }).toEqual({
      count: 3,
      from: 5,
      to: 9,
    });
    expect(drain(queue)).toEqual(['n6', 'h8']);

    queue.shedReported();
    expect(queue.shedCount).toBe(0);
    queue.offerEvent(frame('n10', Normal, 10));
    queue.offerEvent(frame('n11', Normal, 11));
    queue.offerEvent(frame('n12', Normal, 12));
    expect({ count: queue.shedCount, from: queue.shedFrom, to: queue.shedTo }).toEqual({
      count: 1,
      from: 12,
      to: 12,
    });
  });

  it('forgets the shed tally when cleared, and a Critical overflow is not counted as shed', () => {
    const queue = new SendQueue(1);
    queue.offerEvent(frame('x1', Critical, 1));
    expect(queue.offerEvent(frame('x2', Critical, 2))).toBe(Offer.Overflow);
    expect(queue.shedCount).toBe(0);
    queue.offerEvent(frame('n3', Normal, 3));
    expect(queue.shedCount).toBe(1);
    queue.clear();
    expect(queue.shedCount).toBe(0);
  });

  it('behaves as the plain model of its rules over 20,000 random operations per capacity', () => {
    for (const capacity of [1, 2, 3, 5, 8, 70]) {
      const random = prng(capacity);
      const queue = new SendQueue(capacity);
      const model = new QueueModel(capacity);
      let sequence = 0;
      for (let step = 0; step < 20_000; step++) {
        const roll = random();
        if (roll < 0.5) {
          const f = frame(`e${sequence}`, Math.floor(random() * 4), sequence++);
          expect([step, queue.offerEvent(f)]).toEqual([step, model.offerEvent(f)]);
        } else if (roll < 0.6) {
          const f = frame(`c${sequence++}`, CONTROL_PRIORITY);
          expect([step, queue.offerControl(f)]).toEqual([step, model.offerControl(f)]);
        } else if (roll < 0.97) {
          expect([step, queue.shift()?.data.toString()]).toEqual([step, model.shift()?.data.toString()]);
        } else if (roll < 0.99) {
          queue.shedReported();
          model.shedCount = 0;
        } else {
          expect(queue.clear()).toBe(model.clear());
        }
        const tally = queue.shedCount === 0 ? [0] : [queue.shedCount, queue.shedFrom, queue.shedTo];
        expect([step, queue.eventCount, queue.controlCount, ...tally]).toEqual([
          step,
          model.events,
          model.controls,
          ...model.tally(),
        ]);
      }
      expect(drain(queue)).toEqual(model.frames.map((f) => f.data.toString()));
    }
  });
});

/** The queue's rules, written as plainly as possible: one array in queue order, scanned for every decision. */
class QueueModel {
  frames: OutboundFrame[] = [];
  shedCount = 0;
  private shed: number[] = [];

  constructor(private readonly capacity: number) {}

  get events(): number {
    return this.frames.filter((f) => f.priority !== CONTROL_PRIORITY).length;
  }

  get controls(): number {
    return this.frames.length - this.events;
  }

  offerEvent(incoming: OutboundFrame): number {
    if (this.events < this.capacity) {
      this.frames.push(incoming);
      return Offer.Queued;
    }
    const queued = this.frames.filter((f) => f.priority !== CONTROL_PRIORITY).map((f) => f.priority);
    const lowest = Math.min(...queued, CONTROL_PRIORITY);
    if (lowest < incoming.priority) {
      const at = this.frames.findIndex((f) => f.priority === lowest);
      this.recordShed(this.frames.splice(at, 1)[0]);
      this.frames.push(incoming);
      return lowest;
    }
    if (incoming.priority === Critical) return Offer.Overflow;
    this.recordShed(incoming);
    return incoming.priority;
  }

  offerControl(incoming: OutboundFrame): boolean {
    if (this.controls >= this.capacity) return false;
    this.frames.push(incoming);
    return true;
  }

  shift(): OutboundFrame | undefined {
    return this.frames.shift();
  }

  clear(): number {
    const dropped = this.frames.length;
    this.frames = [];
    this.shedCount = 0;
    return dropped;
  }

  tally(): number[] {
    if (this.shedCount === 0) return [0];
    const recent = this.shed.slice(-this.shedCount);
    return [this.shedCount, Math.min(...recent), Math.max(...recent)];
  }

  private recordShed(f: OutboundFrame): void {
    this.shed.push(f.sequence);
    this.shedCount += 1;
  }
}
