/**
 * `dativo state show|reset --config FILE`: where a job's incremental state lives and what it says.
 * The state file is a cache; the source of truth is the latest commit record in the target
 * (`_dativo/commits/`), which every run reconciles the file from. So a reset is itself a commit:
 * an empty commit record carrying empty state, written through the job's sink under the job's lock,
 * which the next run then starts from (re-reading everything and appending it to the target).
 */
import { Command } from 'commander';
import { openSink } from '../../connectors/index.js';
import { createLogger } from '../../observability/logger.js';
import { newRunId } from '../../sinks/run-id.js';
import { acquireLock, CACHED_COMMIT_KEY, createStateStore, readState } from '../../state/index.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, withJobOptions } from '../options.js';
import { printError, printJson, printLine } from '../output.js';

interface StateOptions extends CommonOptions {
  yes?: boolean;
}

async function show(opts: StateOptions): Promise<number> {
  const job = await loadJobForCli(opts.config as string, opts, false);
  const state = await readState(job.statePath);
  const { [CACHED_COMMIT_KEY]: commit, ...cursors } = state as Record<string, unknown>;
  if (opts.json) {
    printJson({ job: job.name, statePath: job.statePath, commit: commit ?? null, state: cursors });
    return 0;
  }
  printLine(`state file: ${job.statePath}`);
  printLine(
    typeof commit === 'string'
      ? `cached from commit ${commit} (the target's commit records are the source of truth)`
      : Object.keys(cursors).length === 0
        ? 'empty: the next run reads everything'
        : 'not tied to a commit of this target (kept from an earlier system)',
  );
  process.stdout.write(`${JSON.stringify(cursors, null, 2)}\n`);
  return 0;
}

async function reset(opts: StateOptions): Promise<number> {
  const job = await loadJobForCli(opts.config as string, opts);
  if (!opts.yes) {
    printLine(
      `error: state reset makes the next run of ${job.name} re-read everything and append it to the data already in the target; ` +
        'add --yes to do it (or use `dativo run --full-refresh` to replace the data instead)',
    );
    return 2;
  }
  const lock = await acquireLock(job.statePath);
  try {
    const runId = newRunId();
    const sink = await openSink(job, { runId, kvMetadata: {} });
    await sink.open({ runId, job: job.name, tenant: job.tenantId, logger: createLogger({ level: 'warn' }) });
    const { record } = await sink.commit({ state: {} });
    await createStateStore(job.statePath).write({ [CACHED_COMMIT_KEY]: record.runId });
    printLine(`state of ${job.name} reset by commit ${record.runId}; the next run reads everything`);
    return 0;
  } finally {
    await lock.release();
  }
}

export function stateCommand(setExit: (code: number) => void): Command {
  const state = new Command('state').description("Show or reset a job's incremental state");
  const sub = (name: string, description: string, action: (o: StateOptions) => Promise<number>): Command => {
    const cmd = withJobOptions(new Command(name).description(description), { jobDir: false });
    return cmd.action(async (opts: StateOptions) => {
      if (!opts.config) {
        printLine('error: --config is required');
        return setExit(2);
      }
      try {
        setExit(await action(opts));
      } catch (err) {
        printError(err, opts.verbose ?? false);
        setExit(2);
      }
    });
  };
  state.addCommand(
    sub('show', 'print where the state lives and what it holds (stdout: the state JSON)', show),
  );
  state.addCommand(
    sub('reset', 'forget the state: the next run re-reads everything (appending)', reset).option(
      '--yes',
      'confirm',
    ),
  );
  return state;
}
