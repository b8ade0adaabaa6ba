/**
 * A writer plugin as a `Sink`. Validated batches go in as Arrow IPC (`write_batch`); whatever the
 * plugin produces leaves only through `output_write`, staged by the host in a private folder.
 * `commit` asks the plugin to finish, then (optionally) publishes the staged outputs into
 * `publishDir` (copy to `.part`, rename), so a failed or aborted run leaves nothing visible.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { SecretLookup } from '../../config/secret-lookup.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type {
  CommitRecord,
  CommitRequest,
  CommitResult,
  RecoveryReport,
  Sink,
  SinkOpenContext,
  StagedFile,
} from '../../sinks/sink.js';
import { encodeIpcBatch } from '../ipc-frame.js';
import type { PreparedPlugin } from '../load.js';
import { outputsRecord } from '../output-record.js';
import { ExtismInstance, type PluginCallHooks } from './instance.js';

export interface ExtismSinkOptions {
  prepared: PreparedPlugin;
  secrets?: SecretLookup;
  logger?: Logger;
  fetch?: typeof fetch;
  stream?: string;
  /** Where committed outputs are published; when absent they stay staged (see `outputs()`). */
  publishDir?: string;
  hooks?: PluginCallHooks;
}

export interface PluginOutputFile {
  name: string;
  /** Where the bytes are now: the staging file before commit, the published file after. */
  path: string;
  bytes: number;
}

export interface PluginSink extends Sink {
  /** The plugin's named outputs (staged, or published after commit). */
  outputs(): PluginOutputFile[];
  /** The JSON the plugin's commit returned. */
  commitSummary(): Record<string, unknown> | undefined;
  stagingDir(): string | undefined;
  /**
   * Work after the host published the outputs (a Python writer's `commit_files`). It keeps the
   * plugin running until then, releases it, and never throws: the data is already committed.
   */
  afterPublish?(record: CommitRecord): Promise<void>;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createExtismSink(opts: ExtismSinkOptions): PluginSink {
  const { prepared } = opts;
  const plugin = prepared.grant.plugin;
  let instance: ExtismInstance | undefined;
  let staging: string | undefined;
  let open: SinkOpenContext | undefined;
  let rows = 0;
  let published: PluginOutputFile[] | undefined;
  let summary: Record<string, unknown> | undefined;

  const listStaged = (): PluginOutputFile[] => {
    if (!staging) return [];
    try {
      return readdirSync(staging)
        .sort()
        .map((name) => {
          const p = path.join(staging as string, name);
          return { name, path: p, bytes: statSync(p).size };
        });
    } catch {
      return [];
    }
  };

  const cleanup = async (): Promise<void> => {
    const inst = instance;
    instance = undefined;
    if (inst) await inst.close();
    if (staging) rmSync(staging, { recursive: true, force: true });
    staging = undefined;
  };

  return {
    kind: `plugin:${plugin}`,

    async open(ctx): Promise<RecoveryReport> {
      open = ctx;
      staging = mkdtempSync(path.join(os.tmpdir(), `dativo-plugin-${plugin}-`));
      instance = await ExtismInstance.start({
        wasm: prepared.wasm,
        ...(prepared.runtime ? { runtime: prepared.runtime } : {}),
        grant: prepared.grant,
        config: prepared.config,
        outputDir: staging,
        ...(opts.secrets ? { secrets: opts.secrets } : {}),
        ...((ctx.logger ?? opts.logger) ? { logger: ctx.logger ?? opts.logger } : {}),
        ...(opts.hooks ? { hooks: opts.hooks } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (instance.hasExport('open')) {
        const params = { batch_size: 0, stream: opts.stream ?? null };
        await instance.call('open', new TextEncoder().encode(JSON.stringify(params)));
      }
      return { rolledForward: [], cleaned: [] };
    },

    async write(batch: RecordBatch): Promise<void> {
      if (!instance) throw new DativoError('INTERNAL', `plugin ${plugin}: write() before open()`);
      await instance.call('write_batch', encodeIpcBatch(batch), { transfer: true });
      rows += batch.numRows;
    },

    async commit(req: CommitRequest): Promise<CommitResult> {
      if (!instance || !open) throw new DativoError('INTERNAL', `plugin ${plugin}: commit() before open()`);
      const out = await instance.call('commit');
      try {
        summary =
          out && out.byteLength > 0
            ? (JSON.parse(new TextDecoder().decode(out)) as Record<string, unknown>)
            : {};
      } catch {
        throw new DativoError('PLUGIN_ERROR', `plugin ${plugin}: commit returned something other than JSON`, {
          location: { plugin },
          details: { call: 'commit' },
        });
      }
      const staged = listStaged();
      if (opts.publishDir) {
        mkdirSync(opts.publishDir, { recursive: true });
        published = staged.map((f) => {
          const dest = path.join(opts.publishDir as string, f.name);
          copyFileSync(f.path, `${dest}.part`);
          renameSync(`${dest}.part`, dest);
          return { ...f, path: dest };
        });
      } else {
        published = staged;
      }
      const record = outputsRecord(
        open,
        published.map((f, i) => ({ name: f.name, stagingPath: staged[i]?.path ?? f.path, bytes: f.bytes })),
        rows,
        req,
      );
      const inst = instance;
      instance = undefined;
      await inst.close();
      if (opts.publishDir && staging) {
        rmSync(staging, { recursive: true, force: true });
        staging = undefined;
      }
      return { record };
    },

    async abort(reason: string): Promise<void> {
      try {
        if (instance?.alive && instance.hasExport('abort'))
          await instance.call('abort', new TextEncoder().encode(reason));
      } catch (e) {
        open?.logger.warn({ plugin, err: (e as Error).message }, 'plugin abort failed');
      } finally {
        published = undefined;
        await cleanup();
      }
    },

    staged(): StagedFile[] {
      return listStaged().map((f) => ({
        key: f.name,
        stagingKey: f.path,
        rows: 0,
        bytes: f.bytes,
        partition: {},
      }));
    },

    outputs: () => published ?? listStaged(),
    commitSummary: () => summary,
    stagingDir: () => staging,
  };
}
