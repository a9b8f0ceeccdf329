import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject, Subscription } from 'rxjs';
import type { EventEnvelope } from './event-envelope';

/**
 * The single seam through which every stored domain event flows to its observers (the WebSocket fan-out,
 * metrics, internal listeners). Producers never call it directly: they go through EventPublisher, which stores
 * the event first. A cross-process bus would sit here: relay `events$` out, feed remote envelopes into `publish`.
 *
 * Envelopes are emitted synchronously, in sequence order, in the publishing turn; observers that need to batch
 * (the socket writer) do so themselves.
 */
@Injectable()
export class BroadcasterService implements OnApplicationShutdown {
  private readonly subject = new Subject<EventEnvelope>();
  readonly events$: Observable<EventEnvelope> = this.subject.asObservable();
  private lastSequence = 0;
  private published = 0;

  /**
   * The sequence of the last event published: every event up to it is stored, every later one is still to be
   * published. A subscription routed now sees exactly the events after it.
   */
  get head(): number {
    return this.lastSequence;
  }

  /** Continues after the stored log's head at start (the events before it were published by an earlier run). */
  startAfter(sequence: number): void {
    if (this.published === 0 && sequence > this.lastSequence) this.lastSequence = sequence;
  }

  publish(envelope: EventEnvelope): void {
    if (this.subject.closed) return;
    // The publisher serializes writers, so this only guards against a programming error upstream.
    if (envelope.sequence <= this.lastSequence) {
      throw new Error(`event sequence ${envelope.sequence} published after ${this.lastSequence}`);
    }
    this.lastSequence = envelope.sequence;
    this.published += 1;
    this.subject.next(envelope);
  }

  /**
   * Subscribes an internal listener with its failures isolated: an exception in `handler` is logged under
   * `name` and never reaches the stream (RxJS would otherwise rethrow it and end the subscription).
   */
  listen(name: string, handler: (envelope: EventEnvelope) => void): Subscription {
    const logger = new Logger(name);
    return this.events$.subscribe((envelope) => {
      try {
        handler(envelope);
      } catch (error) {
        logger.error(
          `failed on ${envelope.event.event_type} #${envelope.sequence}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }

  get publishedCount(): number {
    return this.published;
  }

  get isOpen(): boolean {
    return !this.subject.closed;
  }

  onApplicationShutdown(): void {
    this.subject.complete();
  }
}
