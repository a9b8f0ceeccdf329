import {
  ClientMessageType,
  ServerMessageType,
  type ErrorMessage,
  type EventMessage,
  type GapMessage,
  type Incident,
  type ReplayCompleteMessage,
  type ServerMessage,
  type SubscribeMessage,
  type SubscriptionFilterInput,
} from '@llm-incident-manager/protocol';
import { SequenceGate } from './sequence-gate';

export interface SubscribeOptions {
  /** The subscription's id on the wire (1..128 characters); generated when absent. */
  id?: string;
  /** Filters (contract section 3 and 8); absent keys match everything. */
  filters?: SubscriptionFilterInput;
  /**
   * Start with the active incidents matching the filters (`onSnapshot`), then their live events. After a reconnect
   * the subscription resumes from the last sequence it saw; the snapshot is requested again only when that fails
   * (the events are no longer stored) or after a `gap`.
   */
  snapshot?: boolean;
  /** Resume from this sequence at the first connection (e.g. one saved by an earlier run). Not with `snapshot`. */
  resumeFrom?: number;
}

export interface SubscriptionHandlers {
  /** Each matching event once, in sequence order (replayed ones first after a reconnect). */
  onEvent?(message: EventMessage): void;
  /** The active incidents matching the filters as they are after event `position`, newest first. */
  onSnapshot?(incidents: Incident[], position: number, truncated: boolean): void;
  /** The server shed events for this connection (a slow consumer): reload, or resume from `from_sequence - 1`. */
  onGap?(gap: GapMessage): void;
  /** A replay after `resume_from` has ended; live events follow. */
  onReplayComplete?(message: ReplayCompleteMessage): void;
  /** An `error` frame (a filter the server refused, say). */
  onError?(error: ErrorMessage): void;
  /**
   * The events after the last sequence seen are no longer stored (retention, or a reset log): some were missed.
   * The application should reload its state; a `snapshot` subscription gets a new snapshot by itself.
   */
  onResumeFailed?(info: { oldest_sequence: number | null }): void;
}

/** What a subscription offers its owner (IncidentClient). */
export interface StreamSubscription {
  readonly id: string;
  /** The last sequence this subscription saw (or the position it is known to be at); undefined before any. */
  readonly lastSequence: number | undefined;
  /** Duplicate events dropped so far (already delivered before a reconnect). */
  readonly duplicatesDropped: number;
  /** Ends the subscription and closes its connection. */
  unsubscribe(): Promise<void>;
}

/**
 * One subscription's state across connections: what to send at each (re)connection, and which events are new.
 * The server sends an event once per connection without saying which subscription it matched, so each
 * subscription has a connection of its own: its events are exactly the connection's, in sequence order.
 */
export class SubscriptionState {
  private readonly gate = new SequenceGate();
  /** A snapshot is due: asked for and not received yet (or asked for again). */
  private snapshotDue: boolean;

  constructor(
    readonly id: string,
    private readonly options: SubscribeOptions,
    private readonly handlers: SubscriptionHandlers,
    private readonly send: (message: SubscribeMessage) => void,
  ) {
    this.snapshotDue = options.snapshot === true;
    if (options.resumeFrom !== undefined) this.gate.resetTo(options.resumeFrom);
  }

  get lastSequence(): number | undefined {
    return this.gate.lastSequence;
  }

  get duplicatesDropped(): number {
    return this.gate.dropped;
  }

  /** The `subscribe` for this connection: resume from the last sequence seen, else a snapshot if asked for. */
  subscribeMessage(): SubscribeMessage {
    const message: SubscribeMessage = {
      type: ClientMessageType.Subscribe,
      subscription_id: this.id,
      filters: this.options.filters ?? {},
    };
    const last = this.gate.lastSequence;
    if (this.snapshotDue) message.snapshot = true;
    else if (last !== undefined) message.resume_from = last;
    return message;
  }

  handle(message: ServerMessage): void {
    switch (message.type) {
      case ServerMessageType.Event:
        if (this.gate.accept(message.sequence)) this.handlers.onEvent?.(message);
        return;
      case ServerMessageType.Subscribed:
        if (message.subscription_id !== this.id) return;
        if (message.resumed === false) {
          // Live from `position`, with a hole before it.
          this.gate.resetTo(message.position);
          this.handlers.onResumeFailed?.({ oldest_sequence: message.oldest_sequence ?? null });
          if (this.options.snapshot === true) this.requestSnapshot();
        } else if (message.resumed === undefined && !this.snapshotDue) {
          // A fresh subscription: its live events are those after `position`.
          this.gate.advanceTo(message.position);
        }
        return;
      case ServerMessageType.Snapshot:
        if (message.subscription_id !== this.id) return;
        this.snapshotDue = false;
        this.gate.resetTo(message.position);
        this.handlers.onSnapshot?.(message.incidents, message.position, message.truncated);
        return;
      case ServerMessageType.ReplayComplete:
        if (message.subscription_id !== this.id) return;
        this.gate.advanceTo(message.position);
        this.handlers.onReplayComplete?.(message);
        return;
      case ServerMessageType.Gap:
        this.handlers.onGap?.(message);
        if (this.options.snapshot === true) this.requestSnapshot();
        return;
      case ServerMessageType.Error:
        this.handlers.onError?.(message);
        return;
      default:
        return;
    }
  }

  private requestSnapshot(): void {
    this.snapshotDue = true;
    this.send(this.subscribeMessage());
  }
}
