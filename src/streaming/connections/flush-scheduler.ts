import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { StreamMetrics } from '../stream-metrics';
import type { StreamConnection } from './stream-connection';

/**
 * The write schedule of all connections. A connection with something queued asks for a flush; every connection
 * that asked is flushed once at the end of the event-loop turn (`setImmediate`), so that every frame due to one
 * connection in one turn leaves in one write. A turn that carries more events than the broadcast capacity is
 * flushed early, so that one burst cannot pile up unbounded work before the first write.
 */
@Injectable()
export class FlushScheduler {
  private readonly broadcastCapacity: number;
  private toFlush: StreamConnection[] = [];
  private flushing: StreamConnection[] = [];
  private flushHandle: NodeJS.Immediate | null = null;
  private eventsSinceFlush = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: StreamMetrics,
  ) {
    this.broadcastCapacity = config.streaming.broadcastCapacity;
  }

  /** Flushes this connection at the end of the current event-loop turn. */
  schedule(connection: StreamConnection): void {
    if (connection.flushScheduled) return;
    connection.flushScheduled = true;
    this.toFlush.push(connection);
    this.flushHandle ??= setImmediate(this.flushAll);
  }

  /** Called by the fan-out for each event queued to at least one connection. */
  eventQueued(): void {
    this.eventsSinceFlush += 1;
    if (this.eventsSinceFlush >= this.broadcastCapacity) this.flushAll();
  }

  /** Writes what is scheduled now instead of at the end of the turn (a commit's events are all queued). */
  flushPending(): void {
    if (this.toFlush.length > 0) this.flushAll();
  }

  /** Writes every connection that has something queued. Runs once per event-loop turn in which anything was queued. */
  readonly flushAll = (): void => {
    if (this.flushHandle !== null) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    this.metrics.broadcastUsage(this.eventsSinceFlush / this.broadcastCapacity);
    this.eventsSinceFlush = 0;
    // Swap lists: a connection that drains during the pass schedules itself for the next one.
    const batch = this.toFlush;
    this.toFlush = this.flushing;
    this.flushing = batch;
    try {
      for (let i = 0; i < batch.length; i++) {
        const connection = batch[i];
        connection.flushScheduled = false;
        try {
          connection.flush();
        } catch (error) {
          // One broken socket must not stall the others' writes.
          connection.writeFailed(error);
        }
      }
    } finally {
      batch.length = 0;
      this.metrics.commitWrites();
    }
  };
}
