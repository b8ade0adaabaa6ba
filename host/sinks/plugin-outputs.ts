/**
 * A writer plugin's named outputs published through the same commit protocol as Parquet files, on
 * whichever store the job targets (a local directory or an S3 bucket/prefix): staged under
 * `_dativo/staging/<run-id>/`, a conditionally created commit record carrying the source state,
 * published, marked done. The plugin only produces bytes; when they become visible is the host's
 * decision, so a trap, a timeout or a killed process never leaves half an output behind, and the
 * next start rolls a recorded commit forward exactly as it does for the Parquet sinks.
 */
import type { PluginSink } from '../plugins/extism/sink.js';
import { beginRun, completeCommit, dropStaging, writeCommitRecord } from './commit.js';
import { type FileCommitRequest, SimulatedCrash } from './file-sink.js';
import { keys, type TableLayout, tableBaseKey } from './layout.js';
import type { CommitRecord, CommitResult, Sink, SinkOpenContext, StagedFile } from './sink.js';
import type { ObjectStore } from './store/object-store.js';

export interface PluginOutputSinkOptions {
  plugin: PluginSink;
  /** The target's store; `close` (S3: its sockets) is called once the run has committed or aborted. */
  store: ObjectStore & { close?(): void };
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

  /** Copy every finished output into this run's staging on the target (nothing visible yet). */
  const stageOutputs = async (runId: string): Promise<StagedFile[]> => {
    const base = tableBaseKey(opts.layout);
    const files: StagedFile[] = [];
    for (const out of plugin.outputs()) {
      const stagingKey = `${keys.stagingPrefix(runId)}${out.name}.part`;
      const { bytes } = await store.putFile(stagingKey, out.path);
      files.push({
        key: `${base}/${outputName(out.name, runId)}`,
        stagingKey,
        rows: 0,
        bytes,
        partition: {},
      });
    }
    return files;
  };

  return {
    kind: plugin.kind,

    async open(c) {
      ctx = c;
      const report = await beginRun(store, c, new Date());
      await plugin.open(c);
      return report;
    },

    write: (batch) => plugin.write(batch),

    async commit(req: FileCommitRequest): Promise<CommitResult> {
      if (!ctx) throw new Error('commit() before open()');
      const { runId } = ctx;
      let done: CommitRecord;
      try {
        const { record: pluginRecord } = await plugin.commit(req);
        staged = await stageOutputs(runId);
        // Drops the plugin's own temp staging; one with work after the publish does it then.
        if (!plugin.afterPublish) await plugin.abort('published by the host');
        if (req.rejectsFile) await store.putFile(keys.stagingRejects(runId), req.rejectsFile);
        const record: CommitRecord = {
          version: 1,
          runId,
          job: ctx.job,
          tenant: ctx.tenant,
          createdAt: new Date().toISOString(),
          status: 'pending',
          files: staged,
          rows: pluginRecord.rows,
          bytes: staged.reduce((n, f) => n + f.bytes, 0),
          state: req.state,
          ...(req.rejectsFile ? { rejectsKey: keys.rejects(runId) } : {}),
        };
        if (req._crashAfter === 'staged') throw new SimulatedCrash('staged');
        await writeCommitRecord(store, record);
        if (req._crashAfter === 'record') throw new SimulatedCrash('record');
        done = await completeCommit(store, record, {
          afterFirstPublish: () => {
            if (req._crashAfter === 'publish') throw new SimulatedCrash('publish');
          },
        });
      } catch (e) {
        // The pipeline does not abort a sink that failed inside commit: clean up here, unless the
        // process is meant to die now (a crash test), which must leave everything as it is.
        if (!(e instanceof SimulatedCrash)) {
          await plugin.abort(String(e)).catch(() => {});
          await dropStaging(store, runId).catch(() => false);
        }
        throw e;
      } finally {
        store.close?.();
      }
      // Outside the catch above on purpose: the outputs are published, and nothing that happens
      // after that may drop staging or turn the commit into a failure.
      await plugin.afterPublish?.(done).catch((e: unknown) => {
        ctx?.logger.warn({ plugin: plugin.kind, err: (e as Error).message }, 'after-publish step failed');
      });
      return { record: done };
    },

    async abort(reason) {
      try {
        await plugin.abort(reason);
        // Staging a commit record covers stays for the next start's roll-forward.
        if (ctx) await dropStaging(store, ctx.runId);
      } finally {
        store.close?.();
      }
    },

    staged: () => staged,
  };
}
