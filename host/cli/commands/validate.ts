import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { findJobFiles } from '../../config/find-jobs.js';
import { checkJobReferences } from '../../config/job-references.js';
import { isPlainObject } from '../../config/merge.js';
import { explainJob, type KeyExplanation } from '../../config/original-keys.js';
import { loadRegistry } from '../../config/registry.js';
import { parseYaml } from '../../config/yaml-source.js';
import { resolveJob } from '../../connectors/index.js';
import { DativoError, DativoErrors } from '../../errors.js';
import { expandStreams } from '../../pipeline/expand-streams.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, requireOneOf, withJobOptions } from '../options.js';
import { printError, printJson, printLine, worst } from '../output.js';

function notRunnable(job: Parameters<typeof resolveJob>[0]): string | undefined {
  try {
    resolveJob(job);
    return undefined;
  } catch (err) {
    if (err instanceof DativoError && err.code === 'NOT_IMPLEMENTED')
      return `${err.message} (dativo run exits 2 with NOT_IMPLEMENTED)`;
    throw err;
  }
}

/** Problems the loader does not look for (connector names, input files), found on the raw file. */
async function referenceProblems(file: string): Promise<DativoError[]> {
  try {
    const doc = parseYaml(await readFile(file, 'utf8'), path.resolve(file));
    return checkJobReferences(doc, await loadRegistry(), process.cwd());
  } catch {
    return []; // an unreadable or broken file is reported by the loader, with its position
  }
}

/** The loader's problems and the reference problems, as one error listing each once. */
function together(loadError: unknown, more: DativoError[]): unknown {
  const found =
    loadError instanceof DativoErrors
      ? loadError.errors
      : loadError instanceof DativoError
        ? [loadError]
        : [];
  if (loadError !== undefined && found.length === 0) return loadError; // not a user error: as is
  const seen = new Set(found.map((e) => e.message));
  const line = (e: DativoError) => e.location?.line ?? 0;
  const all = [...found, ...more.filter((e) => !seen.has(e.message))].sort((a, b) => line(a) - line(b));
  return all.length === 1 ? all[0] : new DativoErrors(all);
}

/** `--explain`: the fate of every key of the job file (used, migrated, ignored) and why. */
async function explainFile(file: string): Promise<KeyExplanation[]> {
  const doc = parseYaml(await readFile(file, 'utf8'), path.resolve(file)).data;
  return isPlainObject(doc) ? explainJob(doc) : [];
}

/**
 * Config only, no I/O beyond reading the config files and checking that input files exist:
 * schemas, registry rules, connector names, variables, paths. Every problem is reported at once.
 */
async function validateOne(
  file: string,
  opts: CommonOptions & { explain?: boolean },
): Promise<{ file: string; ok: boolean; error?: string; notice?: string; explain?: KeyExplanation[] }> {
  const more = await referenceProblems(file);
  try {
    let job: Awaited<ReturnType<typeof loadJobForCli>>;
    try {
      job = await loadJobForCli(file, opts, false);
    } catch (err) {
      throw together(err, more);
    }
    if (more.length > 0) throw together(undefined, more);
    // A multi-stream job is valid when every stream's contract is: the same expansion `run` does.
    const streams = await expandStreams(job);
    const contracts = (streams ?? [job]).map((j) => `${j.contract.name} v${j.contract.version}`);
    // Resolved before "valid" is printed: a job no build can run (not NOT_IMPLEMENTED) throws here.
    const notice = notRunnable(job);
    if (!opts.json)
      printLine(
        `${file}: valid (${job.source.type} → ${job.target.type}, contract${contracts.length > 1 ? 's' : ''} ${contracts.join(', ')})`,
      );
    // The config is valid; say so, and say plainly if this build cannot run it yet.
    if (notice) printLine(`  note: ${notice}`);
    const explain = opts.explain ? await explainFile(file) : undefined;
    if (explain && !opts.json)
      for (const e of explain) printLine(`  ${e.key}: ${e.fate}${e.warn ? ' (warned)' : ''} — ${e.why}`);
    return { file, ok: true, ...(notice ? { notice } : {}), ...(explain ? { explain } : {}) };
  } catch (err) {
    printError(err, opts.verbose ?? false);
    return { file, ok: false, error: (err as Error).message };
  }
}

export function validateCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('validate')
    .description('Check job files without running them: schema, registry rules, variables, paths, contract')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dativo validate --config jobs/person.yaml\n  $ dativo validate --job-dir jobs/',
    );
  withJobOptions(cmd, { jobDir: true })
    .option('--explain', 'for each key of the job: used, migrated or ignored, and why')
    .action(async (opts: CommonOptions & { explain?: boolean }) => {
      requireOneOf(opts, true);
      const files = opts.config ? [opts.config] : await findJobFiles(opts.jobDir!);
      const results = [];
      for (const f of files) results.push(await validateOne(f, opts));
      if (opts.json) printJson({ results });
      setExit(files.length === 0 ? 2 : worst(results.map((r) => (r.ok ? 0 : 2))));
    });
  return cmd;
}
