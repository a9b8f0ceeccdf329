/** Runs async tasks one at a time, in submission order. A failing task does not stop the ones after it. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  push<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every task submitted so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
