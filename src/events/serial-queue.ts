/** Runs async tasks one at a time, in submission order. A failing task does not stop the ones after it. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  push<T>(task: () => Promise<T>): Promise<T> {
    this.pending += 1;
    const run = this.tail.then(task);
    this.tail = run.then(
      () => (this.pending -= 1),
      () => (this.pending -= 1),
    );
    return run;
  }

  get size(): number {
    return this.pending;
  }

  /** Resolves once every task submitted so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
