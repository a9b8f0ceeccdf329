import { SerialQueue } from './serial-queue';

describe('SerialQueue', () => {
  it('runs tasks one at a time in submission order, and a failure does not stop the next', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task =
      (name: string, ms: number, fail = false) =>
      () =>
        new Promise<string>((resolve, reject) =>
          setTimeout(() => {
            log.push(name);
            if (fail) reject(new Error(name));
            else resolve(name);
          }, ms),
        );
    const a = queue.push(task('a', 30));
    const b = queue.push(task('b', 1, true));
    const c = queue.push(task('c', 1));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('drains once everything submitted so far has settled', async () => {
    const queue = new SerialQueue();
    let done = false;
    void queue.push(() => new Promise<void>((resolve) => setTimeout(() => ((done = true), resolve()), 20)));
    await queue.drain();
    expect(done).toBe(true);
  });
});
