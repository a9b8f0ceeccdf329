import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject, Subscription } from 'rxjs';
import type { EventEnvelope } from './event-envelope';

/**
 * Takes this node's committed envelopes in place of the broadcaster when several nodes share the log (REDIS_URL):
 * it interleaves them with the other nodes' events and hands everything back, in sequence order, to `deliver`.
 */
export interface PublishSequencer {
  local(envelope: EventEnvelope): void;
}

/**
 * The single seam through which every stored domain event flows to its observers (the WebSocket fan-out,
 * metrics, internal listeners). Producers never call it directly: they go through EventPublisher, which stores
 * the event first.
 *
 * Envelopes are emitted synchronously, in sequence order; observers that need to batch (the socket writer) do so
 * themselves. On a single node `publish` emits in the publishing turn. With a cross-node bus (src/events/bus), a
 * sequencer is attached: `publish` hands this node's envelopes to it, and it calls `deliver` with every node's
 * events in sequence order (an envelope committed here may wait for an older one committed elsewhere).
 */
@Injectable()
export class BroadcasterService implements OnApplicationShutdown {
  /** Every event, this node's and the other nodes': what clients see. */
  private readonly subject = new Subject<EventEnvelope>();
  /** This node's events only: what internal listeners react to (once per cluster, on the committing node). */
  private readonly localSubject = new Subject<EventEnvelope>();
  private readonly commitsPublished = new Subject<void>();
  readonly events$: Observable<EventEnvelope> = this.subject.asObservable();
  /**
   * Emits once the publisher has published everything one commit made visible (see `commitPublished`): observers
   * that batch their work (the socket writer) act now rather than at the end of the event-loop turn.
   */
  readonly commitPublished$: Observable<void> = this.commitsPublished.asObservable();
  private lastSequence = 0;
  private published = 0;
  private sequencer: PublishSequencer | null = null;

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

  /** Routes this node's envelopes through `sequencer` from now on (the cross-node bus; see PublishSequencer). */
  attach(sequencer: PublishSequencer): void {
    this.sequencer = sequencer;
  }

  /** Publishes an envelope this node committed. */
  publish(envelope: EventEnvelope): void {
    if (this.subject.closed) return;
    if (this.sequencer !== null) {
      this.sequencer.local(envelope);
      return;
    }
    this.deliver(envelope);
  }

  /** Emits the next envelope in sequence order: to every observer, and to the listeners when it is this node's. */
  deliver(envelope: EventEnvelope): void {
    if (this.subject.closed) return;
    // One node: the publisher serializes writers, so this only guards against a programming error upstream.
    // Several: the sequencer orders every node's events, and the same holds.
    if (envelope.sequence <= this.lastSequence) {
      throw new Error(`event sequence ${envelope.sequence} published after ${this.lastSequence}`);
    }
    this.lastSequence = envelope.sequence;
    this.published += 1;
    this.subject.next(envelope);
    if (envelope.remote !== true) this.localSubject.next(envelope);
  }

  /**
   * The publisher has published the last event of a commit. It runs in a `setImmediate` of its own (the group
   * commit), so a writer that waited for the end of the turn would write one event-loop iteration later, after the
   * next poll for I/O: a whole flush pass of latency under load.
   */
  commitPublished(): void {
    if (!this.commitsPublished.closed) this.commitsPublished.next();
  }

  /**
   * Advances the head past sequences that will never be published (drawn by a transaction that rolled back): with
   * several nodes, the sequencer knows a later sequence is committed, hence that no earlier one can still appear.
   */
  skipTo(sequence: number): void {
    if (sequence > this.lastSequence) this.lastSequence = sequence;
  }

  /**
   * An envelope this node committed whose event was already delivered to observers as read back from the log (the
   * sequencer read the log between this node's commit and its publish): only the listeners, which skipped it then,
   * still have to see it.
   */
  deliverToListeners(envelope: EventEnvelope): void {
    if (!this.localSubject.closed) this.localSubject.next(envelope);
  }

  /**
   * Subscribes an internal listener with its failures isolated: an exception in `handler` is logged under
   * `name` and never reaches the stream (RxJS would otherwise rethrow it and end the subscription). A listener sees
   * the events committed on this node only, unless `remote` asks for the other nodes' too (which carry no
   * incident): a reaction to an event (a notification, an escalation policy, a playbook) happens on the node that
   * committed it, once per cluster.
   */
  listen(
    name: string,
    handler: (envelope: EventEnvelope) => void,
    options: { remote?: boolean } = {},
  ): Subscription {
    const logger = new Logger(name);
    const source = options.remote === true ? this.subject : this.localSubject;
    return source.subscribe((envelope) => {
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
    this.localSubject.complete();
    this.commitsPublished.complete();
  }
}
