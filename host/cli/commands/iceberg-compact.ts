/**
 * `dativo iceberg compact`: rewrite the small data files of a job's Iceberg table (each
 * partition's into files of about the target size) as one `replace` snapshot. The job file gives
 * the catalog, the storage and the tags the new files carry (Parquet key-value metadata, S3 object
 * metadata and tags), exactly as a run of the job would write them.
 */
import { Command } from 'commander';
import type { ResolvedJob } from '../../config/types.js';
import { loadJobForCli } from '../load.js';
import { type CommonOptions, UsageError, withJobOptions } from '../options.js';
import { printJson, printLine } from '../output.js';

interface CompactFlags extends CommonOptions {
  partition?: string;
  targetFileSizeMb?: string;
  minFiles: string;
}

const MB = 1024 * 1024;

function positiveInt(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  return n;
}

/** `ns.table` (the last dot separates the table from a nested namespace). */
function parseTable(text: string): { namespace: string[]; name: string } {
  const parts = text.split('.');
  const name = parts.pop() ?? '';
  if (parts.length === 0 || name === '' || parts.some((p) => p === ''))
    throw new UsageError(`the table must be namespace.table, got "${text}"`);
  return { namespace: parts, name };
}

export function compactCommand(setExit: (code: number) => void): Command {
  const compact = new Command('compact')
    .description("Rewrite the small data files of a job's Iceberg table into fewer, larger ones")
    .argument('[table]', "namespace.table (default: the job's table)")
    .option('--partition <path>', 'only this partition, as Iceberg shows it: name=value[/name=value]')
    .option(
      '--target-file-size-mb <n>',
      "size of the files written (default: the job's parquet_target_size_mb)",
    )
    .option('--min-files <n>', 'leave partitions with fewer small files than this', '2')
    .addHelpText(
      'after',
      [
        '',
        'Files smaller than 3/4 of the target size are rewritten; delete files (merge-on-read) are refused.',
        'Example:',
        '  $ dativo iceberg compact --config jobs/orders.yaml',
        '  $ dativo iceberg compact crm.orders --config jobs/orders.yaml --partition order_date_day=2026-12-01',
      ].join('\n'),
    );
  withJobOptions(compact, { jobDir: false }).action(
    async (table: string | undefined, flags: CompactFlags) => {
      if (!flags.config) throw new UsageError('--config is required');
      const ident = table === undefined ? undefined : parseTable(table);
      const minInputFiles = positiveInt('--min-files', flags.minFiles, 2);
      const job = await loadJobForCli(flags.config, flags, false);
      const targetMb =
        flags.targetFileSizeMb === undefined
          ? job.target.parquetTargetSizeMb || 128
          : positiveInt('--target-file-size-mb', flags.targetFileSizeMb, 1);
      const [{ openTargetTable }, { compactTable }, { icebergDataLayout }, { objectAttributes }, tags, meta] =
        await Promise.all([
          import('../../connectors/index.js'),
          import('../../sinks/iceberg/compact.js'),
          import('../../sinks/iceberg/layout.js'),
          import('../../sinks/s3/metadata.js'),
          import('../../tags/index.js'),
          import('../../iceberg/metadata.js'),
        ]);
      const opened = await openTargetTable(job);
      const target = ident ? { ...opened, ident } : opened;
      try {
        const kv = tags.tagsToKeyValue(tags.deriveTags(tagInput(job)));
        const loaded = await target.catalog.loadTable(target.ident);
        const now = new Date();
        const result = await compactTable({
          target,
          targetFileBytes: targetMb * MB,
          smallFileBytes: Math.floor(targetMb * MB * 0.75),
          minInputFiles,
          ...(flags.partition ? { partition: flags.partition } : {}),
          compression: job.target.compression,
          rowGroupSize: job.target.rowGroupSize,
          kvMetadata: kv,
          layout: loaded
            ? icebergDataLayout(job, meta.currentSchema(loaded.metadata), now)
            : { stem: 'data', folders: [] },
          objectAttributes: (file, closedAt) => objectAttributes({ job, kv }, file, closedAt),
        });
        if (flags.json) printJson({ ...result, snapshotId: result.snapshotId?.toString() ?? null });
        else if (result.snapshotId === undefined)
          printLine(
            `${result.table}: nothing to compact (no partition has ${minInputFiles} or more small files)`,
          );
        else
          printLine(
            `${result.table}: rewrote ${result.rewrittenFiles} file(s) in ${result.partitions} partition(s) into ${result.addedFiles} (${result.rows} rows), snapshot ${result.snapshotId}`,
          );
        setExit(0);
      } finally {
        target.close();
      }
    },
  );
  return compact;
}

function tagInput(job: ResolvedJob) {
  return {
    contract: job.contract,
    classificationOverrides: job.classificationOverrides,
    finops: job.finops,
    governanceOverrides: job.governanceOverrides,
    tenant: job.tenantId,
  };
}
