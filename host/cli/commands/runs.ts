/**
 * `dativo runs list|show|logs`: the run history in the store that `run`, `start` and `worker`
 * write to. Tables on stdout (colours only on a TTY); `--json` prints one JSON document.
 */
import { Command } from 'commander';
import { logText, runDetail, runsTable } from '../../store/format.js';
import type { StoreLocation } from '../../store/index.js';
import type { HistoryStore } from '../../store/types.js';
import { storeOption, UsageError } from '../options.js';
import { printError, printJson } from '../output.js';

interface RunsFlags extends StoreLocation {
  json?: boolean;
  verbose?: boolean;
}

/** `--since 2026-01-01`, an ISO time, or a duration back from now: `30m`, `12h`, `7d`. */
export function parseSince(text: string, now = Date.now()): Date {
  const rel = /^(\d+)([mhd])$/.exec(text.trim());
  if (rel)
    return new Date(
      now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'],
    );
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(
      `--since must be a date (2026-01-31), an ISO time or a duration (30m, 12h, 7d), got "${text}"`,
    );
  return d;
}

async function withStore<T>(
  flags: RunsFlags,
  setExit: (code: number) => void,
  use: (s: HistoryStore, out: (text: string) => void) => Promise<T>,
): Promise<void> {
  const { openStore } = await import('../../store/index.js');
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(flags);
    await use(store, (text) => process.stdout.write(`${text}\n`));
    setExit(0);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    printError(err, flags.verbose ?? false);
    setExit(2);
  } finally {
    await store?.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .addOption(storeOption())
    .option('--state-dir <dir>', 'state dir whose dativo.db is the store (default $STATE_DIR, .local/state)')
    .option('--json', 'print one JSON document')
    .option('--verbose', 'stack traces');
}

export function runsCommand(setExit: (code: number) => void): Command {
  const runs = new Command('runs').description('Run history: what ran, what it loaded, what failed and why');
  const colour = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

  common(runs.command('list'))
    .description('Recent runs, newest first')
    .option('--job <name>', 'only this job')
    .option('--status <status>', 'only this status (succeeded, failed, running, ...)')
    .option('--since <when>', 'started at or after: a date, an ISO time, or 30m / 12h / 7d ago')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (flags: RunsFlags & { job?: string; status?: string; since?: string; limit: string }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit must be an integer ≥ 1, got "${flags.limit}"`);
      const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
      await withStore(flags, setExit, async (store, out) => {
        const list = await store.listRuns({
          ...(flags.job ? { job: flags.job } : {}),
          ...(flags.status ? { status: flags.status } : {}),
          ...(since ? { since } : {}),
          limit,
        });
        if (flags.json) printJson({ runs: list });
        else out(runsTable(list, colour()));
      });
    });

  common(runs.command('show'))
    .description('One run: streams, rows, files, duration, state, error')
    .argument('<run-id>')
    .action(async (id: string, flags: RunsFlags) => {
      await withStore(flags, setExit, async (store, out) => {
        const run = await store.getRun(id);
        if (!run) throw new UsageError(`no run ${id} in ${store.where}`);
        if (flags.json) printJson({ run, logs: await store.runLogs(id) });
        else out(runDetail(run, colour()));
      });
    });

  common(runs.command('logs'))
    .description('The warnings and errors a run logged')
    .argument('<run-id>')
    .action(async (id: string, flags: RunsFlags) => {
      await withStore(flags, setExit, async (store, out) => {
        const run = await store.getRun(id);
        if (!run) throw new UsageError(`no run ${id} in ${store.where}`);
        const lines = await store.runLogs(id);
        if (flags.json) printJson({ runId: id, logs: lines });
        else out(logText(lines));
      });
    });
  return runs;
}
