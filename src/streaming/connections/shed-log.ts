/** Sequences remembered at most; beyond it the oldest are forgotten (a replay then treats them as delivered). */
export const SHED_LOG_CAPACITY = 10_000;

/**
 * The sequences a connection's queue shed (not delivered), so that a later replay on the same connection sends them
 * again while skipping everything that was delivered. Created on the first shed; insertion-ordered, bounded.
 */
export class ShedLog {
  private readonly sequences = new Set<number>();

  add(sequence: number): void {
    if (this.sequences.size >= SHED_LOG_CAPACITY) {
      const oldest = this.sequences.values().next();
      if (oldest.done !== true) this.sequences.delete(oldest.value);
    }
    this.sequences.add(sequence);
  }

  has(sequence: number): boolean {
    return this.sequences.has(sequence);
  }

  /** The event was delivered after all (replayed). */
  delete(sequence: number): void {
    this.sequences.delete(sequence);
  }
}
