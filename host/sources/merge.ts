/**
 * Several inputs of one job read at the same time, with a bound: at most `concurrency` producers
 * run, each may run at most `buffer` items ahead of the consumer (backpressure), and items come out
 * in whatever order they are ready. A failure in any producer stops the others and is thrown to the
 * consumer; a consumer that stops early (break, error) stops every producer.
 *
 * Commit semantics do not change: a source still reports a file or stream complete only after its
 * last batch was handed over, and the pipeline commits state only after every batch is staged.
 */
export async function* mergeBounded<T>(
  producers: readonly (() => AsyncIterable<T>)[],
  concurrency: number,
  buffer = 1,
): AsyncGenerator<T> {
  if (concurrency <= 1 || producers.length <= 1) {
    for (const p of producers) yield* p();
    return;
  }
  const queue: { item: T; release: () => void }[] = [];
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let active = 0;
  let next = 0;
  let wakeConsumer: (() => void) | undefined;
  const waitingProducers: (() => void)[] = [];

  const notify = () => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };

  async function run(make: () => AsyncIterable<T>): Promise<void> {
    const it = make()[Symbol.asyncIterator]();
    let own = 0; // items of this producer still in the queue
    try {
      for (;;) {
        if (stopped) return;
        while (own >= buffer && !stopped) await new Promise<void>((r) => waitingProducers.push(r));
        if (stopped) return;
        const r = await it.next();
        if (r.done) return;
        own++;
        queue.push({ item: r.value, release: () => own-- });
        notify();
      }
    } catch (error) {
      failure ??= { error };
      stopped = true;
      notify();
    } finally {
      await it.return?.();
    }
  }

  const running = new Set<Promise<void>>();
  const startMore = () => {
    while (!stopped && active < concurrency && next < producers.length) {
      const make = producers[next++] as () => AsyncIterable<T>;
      active++;
      const p = run(make).finally(() => {
        active--;
        running.delete(p);
        startMore();
        notify();
      });
      running.add(p);
    }
  };

  try {
    startMore();
    for (;;) {
      if (failure) throw failure.error;
      const box = queue.shift();
      if (box) {
        box.release();
        for (const w of waitingProducers.splice(0)) w();
        yield box.item;
        continue;
      }
      if (active === 0 && next >= producers.length) return;
      await new Promise<void>((r) => {
        wakeConsumer = r;
      });
    }
  } finally {
    stopped = true;
    for (const w of waitingProducers.splice(0)) w();
    await Promise.allSettled([...running]);
  }
}
