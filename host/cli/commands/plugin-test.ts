import { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { testPlugin } from '../../plugin-dev/harness.js';
import { UsageError } from '../options.js';
import { printError, printJson, printLine } from '../output.js';

interface TestFlags {
  config?: string;
  stream?: string;
  batchSize: string;
  maxBatches?: string;
  rows: string;
  file: string[];
  secret: string[];
  json?: boolean;
  verbose?: boolean;
}

const SHOWN_BATCHES = 10;

function int(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, not "${v}"`);
  return n;
}

function secretsOf(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--secret expects name=value, not "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function pluginTestCommand(setExit: (code: number) => void): Command {
  return new Command('test')
    .description(
      "Run a plugin through the host with a test config and check its batches against its stream's contract",
    )
    .argument('[dir]', 'plugin folder', '.')
    .option(
      '--config <file>',
      'plugin config (default: DIR/test-config.yaml, else generated from config_schema)',
    )
    .option('--stream <name>', "which of the manifest's streams to check (default: the first)")
    .option('--batch-size <n>', 'rows per batch asked of a reader / sent to a writer', '1000')
    .option('--max-batches <n>', 'stop a reader after n batches')
    .option('--rows <n>', 'generated rows sent to a writer', '1000')
    .option(
      '--file <path>',
      "an input file for a reader that requests capabilities.files (repeatable; default: DIR/job.yaml's source.files)",
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      '--secret <name=value>',
      'a secret granted for the test (repeatable)',
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option('--json', 'print the report as JSON on stdout')
    .option('--verbose', "the plugin's logs and stack traces")
    .addHelpText(
      'after',
      '\nExit codes: 0 every batch matches, 2 a mismatch or a failure (the first one is printed).',
    )
    .action(async (dir: string, flags: TestFlags) => {
      try {
        const report = await testPlugin({
          dir,
          ...(flags.config ? { configFile: flags.config } : {}),
          ...(flags.stream ? { stream: flags.stream } : {}),
          batchSize: int('--batch-size', flags.batchSize),
          ...(flags.maxBatches ? { maxBatches: int('--max-batches', flags.maxBatches) } : {}),
          rows: int('--rows', flags.rows),
          files: flags.file,
          secrets: secretsOf(flags.secret),
          logger: createLogger({ level: flags.verbose ? 'debug' : 'warn' }),
          onBatch: ({ batch, rows }) => {
            if (!flags.json && (batch <= SHOWN_BATCHES || flags.verbose))
              printLine(`batch ${batch}: ${rows} rows`);
          },
        });
        if (flags.json) printJson(report);
        const against = report.contract ? `contract ${report.contract}` : 'the first batch (no contract)';
        if (report.mismatch) {
          printLine(`FAIL ${report.plugin}: ${report.mismatch.message}`);
          printLine(`  (${report.rows} rows in ${report.batches} batches read; config ${report.configFrom})`);
          return setExit(2);
        }
        if (!flags.json) {
          if (report.batches > SHOWN_BATCHES && !flags.verbose) printLine('…');
          const outputs = report.outputs?.map((o) => `${o.name} (${o.bytes} bytes)`).join(', ');
          printLine(
            `ok ${report.plugin} (${report.role}): ${report.rows} rows in ${report.batches} batches` +
              `${report.files ? ` from ${report.files.join(', ') || 'no input files'}` : ''} match ${against}` +
              `${outputs !== undefined ? `; outputs: ${outputs || 'none'}` : ''}; config ${report.configFrom}`,
          );
        }
        setExit(0);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        printError(err, flags.verbose ?? false);
        setExit(2);
      }
    });
}
