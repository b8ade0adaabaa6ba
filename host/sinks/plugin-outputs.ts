/**
 * A writer plugin's named outputs published through the same commit protocol as Parquet files:
 * staged under `_dativo/staging/<run-id>/`, a conditionally created commit record carrying the
 * source state, published, marked done. The plugin only produces bytes; when they become visible
 * is the host's decision, so a trap or timeout can never leave half an output behind.
 */
import type { PluginSink } from '../plugins/extism/sink.js';
import { beginRun, completeCommit, dropStaging, writeCommitRecord } from './commit.js';
import { keys, type TableLayout, tableBaseKey } from './layout.js';
import type { CommitRecord, CommitRequest, CommitResult, Sink, SinkOpenContext, StagedFile } from './sink.js';
import type { ObjectStore } from './store/object-store.js';

export interface PluginOutputSinkOptions {
  plugin: PluginSink;
  store: ObjectStore;
  layout: TableLayout;
}

/** `report.csv` of run r1 → `report-r1.csv`: reruns never overwrite earlier outputs. */
function outputName(name: string, runId: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}-${runId}${name.slice(dot)}` : `${name}-${runId}`;
}

export function createPluginOutputSink(opts: PluginOutputSinkOptions): Sink {
  const { plugin, store } = opts;
  let ctx: SinkOpenContext | undefined;
  let staged: StagedFile[] = [];

  return {
    kind: plugin.kind,

    async open(c) {
      ctx = c;
      const report = await beginRun(store, c, new Date());
      await plugin.open(c);
      return report;
    },

    write: (batch) => plugin.write(batch),

    async commit(req: CommitRequest): Promise<CommitResult> {
      if (!ctx) throw new Error('commit() before open()');
      const { record: pluginRecord } = await plugin.commit(req);
      const base = tableBaseKey(opts.layout);
      staged = [];
      for (const out of plugin.outputs()) {
        const stagingKey = `${keys.stagingPrefix(ctx.runId)}${out.name}.part`;
        const { bytes } = await store.putFile(stagingKey, out.path);
        staged.push({
          key: `${base}/${outputName(out.name, ctx.runId)}`,
          stagingKey,
          rows: 0,
          bytes,
          partition: {},
        });
      }
      await plugin.abort('published by the host'); // drops the plugin's own temp staging
      const record: CommitRecord = {
        version: 1,
        runId: ctx.runId,
        job: ctx.job,
        tenant: ctx.tenant,
        createdAt: new Date().toISOString(),
        status: 'pending',
        files: staged,
        rows: pluginRecord.rows,
        bytes: staged.reduce((n, f) => n + f.bytes, 0),
        state: req.state,
      };
      await writeCommitRecord(store, record);
      return { record: await completeCommit(store, record) };
    },

    async abort(reason) {
      await plugin.abort(reason);
      if (ctx) await dropStaging(store, ctx.runId);
    },

    staged: () => staged,
  };
}
