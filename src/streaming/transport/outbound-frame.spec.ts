import { EventPriority } from '../../events/event-priority';
import { EventType, type DomainEvent } from '../../events/event.types';
import { eventFrame } from './outbound-frame';
import { ServerMessageType } from '../protocol/stream-protocol';

describe('eventFrame', () => {
  const event: DomainEvent = {
    event_type: EventType.SystemEvent,
    category: 'startup',
    message: 'quote " and \\ and é',
    metadata: { pid: '1' },
  };

  it('is the contract `event` message, with the stored event JSON embedded verbatim', () => {
    // Keys deliberately in another order than the object's: the frame must carry the stored text, not a re-serialization.
    const stored =
      '{"metadata":{"pid":"1"},"message":"quote \\" and \\\\ and é","category":"startup","event_type":"system_event"}';
    const frame = eventFrame({
      id: '0b7e1a52-54c4-4c5e-9d6c-1f0e6d1b2a3c',
      sequence: 42,
      timestamp: '2026-11-26T04:00:00.000Z',
      event,
      eventJson: stored,
      priority: EventPriority.Normal,
      publishedAt: 7,
    });
    const text = frame.data.toString('utf8');
    expect(text).toContain(`"event":${stored},`);
    expect(JSON.parse(text)).toEqual({
      type: ServerMessageType.Event,
      message_id: '0b7e1a52-54c4-4c5e-9d6c-1f0e6d1b2a3c',
      event,
      timestamp: '2026-11-26T04:00:00.000Z',
      sequence: 42,
    });
    expect(frame.eventType).toBe(EventType.SystemEvent);
    expect(frame.publishedAt).toBe(7);
    // Kept on the frame so that a queue that sheds it can report it in a `gap`.
    expect(frame.sequence).toBe(42);
  });
});
