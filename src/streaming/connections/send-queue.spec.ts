import { EventPriority } from '../../events/event-priority';
import { CONTROL_PRIORITY, OutboundFrame } from '../transport/outbound-frame';
import { Offer, SendQueue } from './send-queue';

function frame(name: string, priority: number): OutboundFrame {
  const isControl = priority === CONTROL_PRIORITY;
  return new OutboundFrame(
    Buffer.from(name),
    isControl ? 'pong' : 'event',
    priority as EventPriority,
    isControl ? null : 'system_event',
    0,
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
});
