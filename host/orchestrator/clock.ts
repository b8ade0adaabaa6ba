/**
 * Time as the scheduler sees it: `now()` and one-shot timers. Production uses the system clock;
 * tests use `createManualClock()` and move time forward themselves, so no test waits for a real
 * cron minute or a real backoff delay.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Node's timers. Delays over setTimeout's 24.8-day limit are re-armed in steps. */
export function systemClock(): Clock {
  const MAX = 2 ** 31 - 1;
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  const arm = (id: number, fn: () => void, at: number) => {
    const wait = Math.max(0, at - Date.now());
    const t = setTimeout(
      () => {
        if (Date.now() >= at) {
          timers.delete(id);
          fn();
        } else arm(id, fn, at);
      },
      Math.min(wait, MAX),
    );
    timers.set(id, t);
  };
  return {
    now: () => Date.now(),
    setTimer(fn, delayMs) {
      const id = next++;
      arm(id, fn, Date.now() + Math.max(0, delayMs));
      return { id };
    },
    clearTimer(handle) {
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

export interface ManualClock extends Clock {
  /**
   * Move time forward by `ms`, firing every timer that falls due, in order of due time, each at
   * its own instant. Between timers it lets pending promise callbacks run, so work a timer starts
   * (and the timers that work sets) happens before time moves on.
   */
  advance(ms: number): Promise<void>;
  /** Move time to the next due timer and fire it; false when none is set. */
  runNext(): Promise<boolean>;
  /** Due times of the timers still set (sorted). */
  pending(): number[];
}

/** Let queued microtasks and immediates run (a few rounds, for promise chains). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export function createManualClock(start: number | Date = 0): ManualClock {
  let now = typeof start === 'number' ? start : start.getTime();
  let next = 1;
  // Insertion order breaks ties between timers due at the same instant.
  const timers = new Map<number, { at: number; fn: () => void }>();

  const due = (limit: number): [number, { at: number; fn: () => void }] | undefined => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      if (entry[1].at <= limit && (!best || entry[1].at < best[1].at)) best = entry;
    }
    return best;
  };

  const clock: ManualClock = {
    now: () => now,
    setTimer(fn, delayMs) {
      const id = next++;
      timers.set(id, { at: now + Math.max(0, delayMs), fn });
      return { id };
    },
    clearTimer(handle) {
      timers.delete(handle.id);
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (let entry = due(target); entry; entry = due(target)) {
        timers.delete(entry[0]);
        now = Math.max(now, entry[1].at);
        entry[1].fn();
        await settle();
      }
      now = target;
      await settle();
    },
    async runNext() {
      const entry = due(Number.POSITIVE_INFINITY);
      if (!entry) return false;
      await clock.advance(entry[1].at - now);
      return true;
    },
    pending: () => [...timers.values()].map((t) => t.at).sort((a, b) => a - b),
  };
  return clock;
}
