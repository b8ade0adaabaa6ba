/**
 * A writer plugin into an Iceberg table. The plugin produces Parquet files; the host checks every
 * output's footer against the contract and the table before a byte reaches the table, then reads
 * the rows a row group at a time into the Iceberg sink itself, whose data-file writer re-encodes
 * them (field ids, µs timestamps, partitions, statistics) and whose commit appends one snapshot
 * per run carrying the source state. A crash before that commit leaves no snapshot; after it, the
 * next run finds the run's snapshot and has nothing new to do — the Iceberg sink's own protocol.
 */
import type { Schema } from 'apache-arrow';
import type { ResolvedJob } from '../../config/types.js';
import { outputSchema } from '../../contract/schema.js';
import { DativoError } from '../../errors.js';
import { currentSchema } from '../../iceberg/metadata.js';
import type { PluginSink } from '../../plugins/extism/sink.js';
import type { FileCommitRequest } from '../file-sink.js';
import type { CommitResult, Sink } from '../sink.js';
import type { IcebergSink } from './index.js';
import { type CheckedOutput, checkOutput } from './plugin-footer.js';
import { rowGroupBatches } from './plugin-rows.js';

export interface PluginIcebergSinkOptions {
  plugin: PluginSink;
  table: IcebergSink;
  job: Pick<ResolvedJob, 'contract' | 'validationMode'>;
}

/** `plugin:<name>` → the name messages show. */
const nameOf = (plugin: PluginSink) => plugin.kind.replace(/^plugin:/, '');

/** Column name → Iceberg type of the table as it is now (empty when it does not exist yet). */
async function tableTypes(table: IcebergSink): Promise<Map<string, string>> {
  const found = await table.target.catalog.loadTable(table.target.ident);
  const out = new Map<string, string>();
  if (!found) return out;
  for (const f of currentSchema(found.metadata).fields)
    if (typeof f.type === 'string') out.set(f.name, f.type);
  return out;
}

/**
 * Check every output, then fix the run's schema: a `utc: auto` timestamp takes the zone the files
 * carry (as the native path takes the data's), and all outputs must agree on it.
 */
async function checkOutputs(
  opts: PluginIcebergSinkOptions,
): Promise<{ checked: CheckedOutput[]; schema: Schema }> {
  const { fields } = opts.job.contract;
  const mode = opts.job.validationMode;
  const auto = new Set(
    fields.filter((f) => f.type.kind === 'timestamp' && f.type.utc === 'auto').map((f) => f.name),
  );
  const declared = fields.map((f) => f.type.kind === 'timestamp' && f.type.utc === true);
  const types = await tableTypes(opts.table);
  const expected = outputSchema(fields, declared, [], mode);
  const checked: CheckedOutput[] = [];
  const zone = new Map<string, { utc: boolean; file: string }>();
  for (const out of opts.plugin.outputs()) {
    const c = await checkOutput(nameOf(opts.plugin), out, expected, auto, types);
    for (const name of auto) {
      const utc = c.utc.get(name) as boolean;
      const first = zone.get(name);
      if (first && first.utc !== utc)
        throw new DativoError(
          'PLUGIN_BAD_OUTPUT',
          `output ${out.name} of plugin ${nameOf(opts.plugin)} column ${name}: ${utc ? 'timestamptz' : 'timestamp'}, but ${first.file} has ${first.utc ? 'timestamptz' : 'timestamp'}`,
          { location: { plugin: nameOf(opts.plugin), file: out.name, field: name } },
        );
      if (!first) zone.set(name, { utc, file: out.name });
    }
    checked.push(c);
  }
  const utc = fields.map((f, i) => zone.get(f.name)?.utc ?? (declared[i] as boolean));
  return { checked, schema: outputSchema(fields, utc, [], mode) };
}

export function createPluginIcebergSink(opts: PluginIcebergSinkOptions): Sink {
  const { plugin, table } = opts;

  /** Every output's rows into the table's writer; nothing is visible until table.commit. */
  const loadOutputs = async (): Promise<void> => {
    const { checked, schema } = await checkOutputs(opts);
    for (const out of checked) {
      for await (const batch of rowGroupBatches(nameOf(opts.plugin), out, schema)) {
        if (batch.numRows > 0) await table.write(batch);
      }
    }
  };

  return {
    kind: plugin.kind,

    async open(c) {
      const report = await table.open(c);
      await plugin.open(c);
      return report;
    },

    write: (batch) => plugin.write(batch),

    async commit(req: FileCommitRequest): Promise<CommitResult> {
      try {
        await plugin.commit(req);
        await loadOutputs();
        await plugin.abort('read by the host'); // drops the plugin's own temp staging
      } catch (e) {
        // The pipeline does not abort a sink that failed inside commit: clean up here.
        await plugin.abort(String(e)).catch(() => {});
        await table.abort(String(e)).catch(() => {});
        throw e;
      }
      // The table's commit cleans up after itself (and keeps files a snapshot may reference).
      return table.commit(req);
    },

    async abort(reason) {
      try {
        await plugin.abort(reason);
      } finally {
        await table.abort(reason);
      }
    },

    staged: () => table.staged(),
  };
}
