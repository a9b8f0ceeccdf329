import { EventPriority } from '../../events/event-priority';
import { CONTROL_PRIORITY, OutboundFrame } from '../transport/outbound-frame';
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
});
