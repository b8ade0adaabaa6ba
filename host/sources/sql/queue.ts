/**
 * A push → pull bridge for drivers that call back (pg CopyData, events): the producer pushes
 * batches and is told to pause when `limit` are waiting; the consumer pulls with `next()`.
 */
export class BatchQueue<T> {
  private items: T[] = [];
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly limit: number,
    private readonly onPause: () => void,
    private readonly onResume: () => void,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.limit) this.onPause();
    this.wake();
  }

  end(err?: Error): void {
    this.ended = true;
    this.error ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next item, or undefined at the end; throws the producer's error after its items. */
  async next(): Promise<T | undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        if (this.items.length < this.limit) this.onResume();
        return item;
      }
      if (this.ended) {
        if (this.error) throw this.error;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
