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
