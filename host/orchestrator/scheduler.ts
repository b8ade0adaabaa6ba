/**
 * The orchestrator's brain: fires schedules on their timers, turns firings into runs, hands
 * attempts to an executor, retries per the job's retry_config, and shuts down gracefully.
 *
 * The rules live next door: which firings are skipped and which waiting runs may execute
 * (admission.ts), when a failed attempt is retried (retry.ts), when a schedule fires (timing.ts),
 * what a run record holds (runs.ts) and what the API shows of a schedule (schedule-view.ts). This
 * module holds the state and the order of events. All time goes through the injected Clock, so
 * tests drive cron minutes and backoff delays by hand.
 */
import type { RetryConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { toReportError } from '../pipeline/run-job.js';
import { admit, skipReason } from './admission.js';
import type { Clock, TimerHandle } from './clock.js';
import type { AttemptResult, RunExecutor, RunHandle } from './executor.js';
import { nextStep } from './retry.js';
import type { ScheduleDef } from './runner-config.js';
import { type AttemptRecord, isActive, newRunRecord, RunBook, type RunRecord } from './runs.js';
import { type ScheduleView, scheduleView } from './schedule-view.js';
import { nextFireAt } from './timing.js';

export type { ScheduleView } from './schedule-view.js';

/** What the scheduler needs to know about a job before running it. */
export interface JobInfo {
  name: string;
  tenant: string;
  retry: RetryConfig;
}

export interface SchedulerOptions {
  schedules: ScheduleDef[];
  executor: RunExecutor;
  clock: Clock;
  logger: Logger;
  /** Loads a job's name, tenant and retry_config (default in the CLI: the full job loader). */
  jobInfo: (jobFile: string) => Promise<JobInfo>;
  concurrencyPerTenant?: number;
  maxConcurrentRuns?: number;
  /** Finished runs kept for the API (default 1000). */
  keepRuns?: number;
}

export type SchedulerEvent =
  | { type: 'run_queued' | 'run_skipped' | 'run_finished'; run: RunRecord }
  | { type: 'attempt_started' | 'attempt_finished'; run: RunRecord; attempt: AttemptRecord }
  | { type: 'retry_scheduled'; run: RunRecord; attempt: AttemptRecord; delayMs: number };

export type TriggerResult =
  | { outcome: 'queued'; run: RunRecord }
  | { outcome: 'skipped'; run: RunRecord }
  | { outcome: 'unknown_schedule' | 'stopping' }
  | { outcome: 'job_invalid'; error: ReturnType<typeof toReportError> };

export type CancelResult = 'cancelled' | 'cancelling' | 'unknown' | 'finished';

interface Slot {
  def: ScheduleDef;
  info?: JobInfo;
  timer?: TimerHandle;
  nextAt?: number;
}

interface Live {
  run: RunRecord;
  slot: Slot;
  info: JobInfo;
  handle?: RunHandle;
  retryTimer?: TimerHandle;
  cancelRequested?: string;
  shutdownReason?: string;
  done?: Promise<void>;
}

export interface Scheduler {
  /** Load every enabled schedule's job (throws the first that does not load) and arm the timers. */
  start(): Promise<void>;
  /** Fire a schedule now, outside its timing. */
  trigger(name: string): Promise<TriggerResult>;
  cancel(runId: string, reason?: string): Promise<CancelResult>;
  /**
   * Stop firing, drop waiting runs, let running ones finish for `graceMs` (on the clock), then
   * interrupt them through the executor and wait until they have ended cleanly.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
  schedules(): ScheduleView[];
  runs(): RunRecord[];
  run(id: string): RunRecord | undefined;
  /** Runs queued or running (not those waiting for a retry). */
  busy(): number;
  readonly state: 'created' | 'running' | 'stopping' | 'stopped';
  readonly executorKind: string;
  on(listener: (e: SchedulerEvent) => void): () => void;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { clock, executor, logger } = opts;
  const slots = new Map(opts.schedules.map((def) => [def.name, { def } as Slot]));
  const book = new RunBook(opts.keepRuns);
  const live = new Map<string, Live>();
  const queue: Live[] = [];
  const executingJobs = new Set<string>();
  const listeners = new Set<(e: SchedulerEvent) => void>();
  let state: Scheduler['state'] = 'created';
  let stopping: Promise<void> | undefined;
  let endGrace: (() => void) | undefined;

  const iso = (ms: number) => new Date(ms).toISOString();
  const emit = (e: SchedulerEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        logger.warn({ err }, 'scheduler event listener failed');
      }
    }
  };
  const executing = () => [...live.values()].filter((l) => l.run.state === 'running');

  async function infoOf(slot: Slot): Promise<JobInfo> {
    slot.info ??= await opts.jobInfo(slot.def.jobFile);
    return slot.info;
  }

  function arm(slot: Slot, previousPlanned?: number): void {
    if (state !== 'running' || !slot.def.enabled) return;
    const now = clock.now();
    const at = nextFireAt(slot.def, Math.max(now, previousPlanned ?? now), previousPlanned);
    slot.nextAt = at;
    if (at === undefined) return;
    slot.timer = clock.setTimer(() => {
      slot.timer = undefined;
      fire(slot, 'schedule', at);
      arm(slot, at);
    }, at - now);
  }

  /** Admit a firing: skipped when the schedule already has its maximum of active runs. */
  function fire(slot: Slot, trigger: 'schedule' | 'manual', plannedAt?: number): TriggerResult {
    const info = slot.info;
    if (!info) throw new Error(`job of schedule ${slot.def.name} not loaded`);
    const run = newRunRecord(slot.def, info, trigger, clock.now(), plannedAt);
    const active = [...live.values()].filter((l) => l.slot === slot && isActive(l.run)).length;
    const skipped = skipReason(active, slot.def.maxConcurrentRuns);
    if (skipped) {
      run.state = 'skipped';
      run.reason = skipped;
      run.finishedAt = run.createdAt;
      book.add(run);
      logger.warn({ event_type: 'run_skipped', schedule: slot.def.name, run_id: run.id }, run.reason);
      emit({ type: 'run_skipped', run });
      return { outcome: 'skipped', run };
    }
    const entry: Live = { run, slot, info };
    live.set(run.id, entry);
    book.add(run);
    queue.push(entry);
    logger.info(
      { event_type: 'run_queued', schedule: slot.def.name, run_id: run.id, trigger, tenant_id: info.tenant },
      `run ${run.id} of ${slot.def.name} queued`,
    );
    emit({ type: 'run_queued', run });
    pump();
    return { outcome: 'queued', run };
  }

  /** Start every queued run the limits allow, oldest first. */
  function pump(): void {
    if (state !== 'running') return;
    const now = executing().map((l) => l.run);
    for (const entry of admit(queue, now, executingJobs, opts)) startAttempt(entry);
  }

  function startAttempt(entry: Live): void {
    const { run } = entry;
    const number = run.attempts.length + 1;
    const attempt: AttemptRecord = {
      attempt: number,
      runKey: `${run.id}#${number}`,
      startedAt: iso(clock.now()),
      errors: [],
    };
    run.attempts.push(attempt);
    run.state = 'running';
    delete run.nextAttemptAt;
    executingJobs.add(run.jobFile);
    logger.info(
      {
        event_type: 'attempt_started',
        run_id: run.id,
        attempt: number,
        schedule: run.schedule,
        tenant_id: run.tenant,
      },
      `run ${run.id} attempt ${number} started`,
    );
    emit({ type: 'attempt_started', run, attempt });
    const result = executor
      .submit({
        runKey: attempt.runKey,
        runId: run.id,
        jobFile: run.jobFile,
        jobName: run.jobName,
        tenant: run.tenant,
        attempt: number,
        ...(run.schedule ? { schedule: run.schedule } : {}),
        trigger: number > 1 ? 'retry' : run.trigger,
        tags: run.tags,
      })
      .then((handle) => {
        entry.handle = handle;
        // A cancel that arrived while the executor was accepting the attempt.
        if (entry.cancelRequested) void executor.cancel(handle.runKey, entry.cancelRequested);
        return handle.result;
      })
      .catch((err): AttemptResult => ({ status: 'failed', exitCode: 2, errors: [toReportError(err)] }));
    entry.done = result.then((r) => attemptEnded(entry, attempt, r));
  }

  function attemptEnded(entry: Live, attempt: AttemptRecord, result: AttemptResult): void {
    const { run, info } = entry;
    executingJobs.delete(run.jobFile);
    delete entry.handle;
    attempt.finishedAt = iso(clock.now());
    attempt.status = result.status;
    attempt.exitCode = result.exitCode;
    attempt.errors = result.errors;
    if (result.report) attempt.report = result.report;
    emit({ type: 'attempt_finished', run, attempt });

    const step = nextStep(info.retry, attempt.attempt, result, {
      running: state === 'running',
      ...(entry.cancelRequested ? { cancelRequested: entry.cancelRequested } : {}),
      ...(entry.shutdownReason ? { shutdownReason: entry.shutdownReason } : {}),
    });
    if ('retryInMs' in step) {
      const delayMs = step.retryInMs;
      attempt.retryDelayMs = delayMs;
      run.state = 'retry_wait';
      run.nextAttemptAt = iso(clock.now() + delayMs);
      logger.warn(
        {
          event_type: 'retry_scheduled',
          run_id: run.id,
          attempt: attempt.attempt,
          delay_ms: delayMs,
          error_code: result.errors[0]?.code,
        },
        `run ${run.id} attempt ${attempt.attempt} failed; retrying in ${delayMs} ms`,
      );
      emit({ type: 'retry_scheduled', run, attempt, delayMs });
      entry.retryTimer = clock.setTimer(() => {
        delete entry.retryTimer;
        run.state = 'queued';
        queue.push(entry);
        pump();
      }, delayMs);
    } else {
      finishRun(entry, step.final, step.reason);
    }
    pump();
  }

  function finishRun(entry: Live, final: RunRecord['state'], reason?: string): void {
    const { run } = entry;
    run.state = final;
    run.finishedAt = iso(clock.now());
    if (reason) run.reason = reason;
    delete run.nextAttemptAt;
    live.delete(run.id);
    logger.info(
      { event_type: 'run_finished', run_id: run.id, state: final, attempts: run.attempts.length },
      `run ${run.id} ${final}`,
    );
    emit({ type: 'run_finished', run });
  }

  /** Take a run that is not executing out of the queue or its retry wait. */
  function withdraw(entry: Live, final: RunRecord['state'], reason: string): void {
    const i = queue.indexOf(entry);
    if (i >= 0) queue.splice(i, 1);
    if (entry.retryTimer) clock.clearTimer(entry.retryTimer);
    delete entry.retryTimer;
    finishRun(entry, final, reason);
  }

  async function stopNow(graceMs: number): Promise<void> {
    state = 'stopping';
    for (const slot of slots.values()) {
      if (slot.timer) clock.clearTimer(slot.timer);
      delete slot.timer;
      delete slot.nextAt;
    }
    for (const entry of [...live.values()]) {
      if (entry.run.state !== 'running') withdraw(entry, 'cancelled', 'orchestrator shutting down');
    }
    const running = [...live.values()];
    logger.info(
      { event_type: 'orchestrator_stopping', running: running.length, grace_ms: graceMs },
      `shutting down: waiting for ${running.length} running run(s)`,
    );
    const allDone = Promise.all(running.map((e) => e.done));
    if (running.length > 0) {
      let timer: TimerHandle | undefined;
      const graceOver = new Promise<'grace'>((resolve) => {
        endGrace = () => resolve('grace');
        timer = clock.setTimer(() => resolve('grace'), graceMs);
      });
      const first = await Promise.race([allDone.then(() => 'done' as const), graceOver]);
      if (timer) clock.clearTimer(timer);
      if (first === 'grace') {
        for (const entry of live.values()) {
          entry.shutdownReason = 'interrupted by shutdown after the grace period';
          const attempt = entry.run.attempts.at(-1);
          if (attempt) await executor.cancel(attempt.runKey, 'orchestrator shutting down');
        }
        await allDone;
      }
    }
    await executor.close?.();
    state = 'stopped';
    logger.info({ event_type: 'orchestrator_stopped' }, 'orchestrator stopped');
  }

  const scheduler: Scheduler = {
    get state() {
      return state;
    },
    executorKind: executor.kind,

    async start() {
      if (state !== 'created') throw new Error(`scheduler is ${state}`);
      for (const slot of slots.values()) if (slot.def.enabled) await infoOf(slot);
      state = 'running';
      for (const slot of slots.values()) arm(slot);
      logger.info(
        { event_type: 'orchestrator_started', schedules: slots.size, executor: executor.kind },
        `orchestrator started: ${[...slots.values()].filter((s) => s.def.enabled).length} enabled schedule(s)`,
      );
    },

    async trigger(name) {
      const slot = slots.get(name);
      if (!slot) return { outcome: 'unknown_schedule' };
      if (state !== 'running') return { outcome: 'stopping' };
      try {
        await infoOf(slot);
      } catch (err) {
        return { outcome: 'job_invalid', error: toReportError(err) };
      }
      if (state !== 'running') return { outcome: 'stopping' };
      return fire(slot, 'manual');
    },

    async cancel(runId, reason = 'cancelled through the API') {
      const entry = live.get(runId);
      if (!entry) return book.get(runId) ? 'finished' : 'unknown';
      if (entry.run.state !== 'running') {
        withdraw(entry, 'cancelled', reason);
        return 'cancelled';
      }
      entry.cancelRequested = reason;
      const attempt = entry.run.attempts.at(-1);
      if (entry.handle && attempt) await executor.cancel(attempt.runKey, reason);
      return 'cancelling';
    },

    stop(stopOpts = {}) {
      // A second stop (a second SIGTERM) ends the grace period now.
      if (stopping) {
        if ((stopOpts.graceMs ?? 0) === 0) endGrace?.();
        return stopping;
      }
      stopping = stopNow(stopOpts.graceMs ?? 0);
      return stopping;
    },

    schedules() {
      const all = book.all();
      return [...slots.values()].map(
        (slot): ScheduleView =>
          scheduleView(
            slot.def,
            slot.info,
            slot.nextAt,
            all.filter((r) => r.schedule === slot.def.name),
          ),
      );
    },
    runs: () => book.all(),
    run: (id) => book.get(id),
    busy: () =>
      [...live.values()].filter((l) => l.run.state === 'running' || l.run.state === 'queued').length,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return scheduler;
}
