import type { EventEnvelope } from '../../events/event-envelope';
import type { EventPriority } from '../../events/event-priority';
import type { EventType } from '../../events/event.types';
import { ControlMessage, ServerMessageType } from '../protocol/stream-protocol';
import { encodeTextFrame } from './websocket-framing';

const EVENT_END = Buffer.from('\n\n', 'utf8');

/** Control frames (replies, heartbeats, `closing`) rank above every event priority and are never shed. */
export const CONTROL_PRIORITY = 4;
export type FramePriority = EventPriority | typeof CONTROL_PRIORITY;

/**
 * One serialized server message, ready for the socket. An event frame is built once per publish and the same
 * instance (and bytes) is queued to every recipient.
 */
export class OutboundFrame {
  /** The last flush pass that recorded this frame's latency (one observation per event per pass). */
  latencyPass = 0;
  private encoded: Buffer | null = null;
  private eventStreamEncoded: Buffer | null = null;

  constructor(
    /** The message's JSON, UTF-8. */
    readonly data: Buffer,
    readonly type: ServerMessageType,
    readonly priority: FramePriority,
    /** The event's type for `event` frames, null otherwise. */
    readonly eventType: EventType | null,
    /** performance.now() at publish for `event` frames (latency starts there), NaN otherwise. */
    readonly publishedAt: number,
    /** The event's `sequence` for `event` frames (what a `gap` reports when the frame is shed), NaN otherwise. */
    readonly sequence: number = Number.NaN,
  ) {}

  /** The complete WebSocket frame (header and payload), encoded on first use and then shared by all recipients. */
  get wire(): Buffer {
    return (this.encoded ??= encodeTextFrame(this.data));
  }

  /**
   * The frame as a Server-Sent Event (`GET /v1/stream`): `id:` the sequence (events only, so that a reconnecting
   * EventSource sends it back as Last-Event-ID), `event:` the event type or the message type, `data:` the same JSON
   * as on the WebSocket (one line: JSON text has no raw line breaks). Encoded once, shared by all recipients.
   */
  get eventStream(): Buffer {
    if (this.eventStreamEncoded === null) {
      const head =
        this.eventType === null
          ? `event: ${this.type}\ndata: `
          : `id: ${this.sequence}\nevent: ${this.eventType}\ndata: `;
      this.eventStreamEncoded = Buffer.concat([Buffer.from(head, 'utf8'), this.data, EVENT_END]);
    }
    return this.eventStreamEncoded;
  }
}

/** What an `event` frame is built from: a published envelope, or an entry read back from the log (a replay). */
export type EventFrameSource = Pick<
  EventEnvelope,
  'id' | 'sequence' | 'timestamp' | 'eventJson' | 'priority' | 'publishedAt'
> & { readonly event: { readonly event_type: EventType } };

/**
 * The `event` message: `{type, message_id, event, timestamp, sequence}`, serialized once for all recipients. The
 * event itself is the JSON stored in the event log, embedded as is: an event is serialized once, however many
 * places it goes.
 */
export function eventFrame(envelope: EventFrameSource): OutboundFrame {
  const json =
    `{"type":"${ServerMessageType.Event}","message_id":${JSON.stringify(envelope.id)},"event":${envelope.eventJson},` +
    `"timestamp":${JSON.stringify(envelope.timestamp)},"sequence":${envelope.sequence}}`;
  return new OutboundFrame(
    Buffer.from(json, 'utf8'),
    ServerMessageType.Event,
    envelope.priority,
    envelope.event.event_type,
    envelope.publishedAt,
    envelope.sequence,
  );
}

export function controlFrame(message: ControlMessage): OutboundFrame {
  return new OutboundFrame(
    Buffer.from(JSON.stringify(message), 'utf8'),
    message.type,
    CONTROL_PRIORITY,
    null,
    Number.NaN,
    Number.NaN,
  );
}
