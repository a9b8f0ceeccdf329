/**
 * What one subscription has seen of the event log. Over one subscription's connection the server sends events in
 * strictly increasing `sequence` order (a replay, then the live stream), so an event at or below the last sequence
 * seen is one already delivered (a replay overlapping what arrived before a reconnect, say): it is dropped, and
 * nothing reaches the application twice.
 */
export class SequenceGate {
  private last: number | undefined;
  private droppedCount = 0;

  /** The last sequence seen (or the position the subscription is known to be at); undefined before any. */
  get lastSequence(): number | undefined {
    return this.last;
  }

  /** Events dropped as duplicates so far. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** True when the event at `sequence` is new (and records it); false for a duplicate. */
  accept(sequence: number): boolean {
    if (this.last !== undefined && sequence <= this.last) {
      this.droppedCount += 1;
      return false;
    }
    this.last = sequence;
    return true;
  }

  /** Records that everything up to `position` is accounted for (a snapshot, a replay's end). Never moves back. */
  advanceTo(position: number): void {
    if (this.last === undefined || position > this.last) this.last = position;
  }

  /** Restarts from `position` (a snapshot taken again), forward or back. */
  resetTo(position: number): void {
    this.last = position;
  }
}
