/**
 * An original custom writer (`target.custom_writer: file.py:Class`, a `BaseWriter` subclass) as a
 * writer plugin. Its `write_batch` writes files under `output_base` (/dativo/output, in the
 * sandbox's in-memory filesystem) and returns `[{path, size_bytes, record_count}]`. At commit the
 * host lists that folder, checks it against what `write_batch` returned (every file returned, every
 * returned file there with its size, no symbolic links), and copies the files into a host staging
 * folder; sinks/plugin-outputs.ts then publishes them through the job's file target with the commit
 * protocol, and only after that does `afterPublish` call `commit_files` (its upload code cannot
 * reach the network; its result is logged).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { SecretLookup } from '../../config/secret-lookup.js';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { CommitRecord, CommitRequest, CommitResult, SinkOpenContext } from '../../sinks/sink.js';
import { pluginConfigFrom } from '../config-grant.js';
import type { PluginOutputFile, PluginSink } from '../extism/sink.js';
import { outputsRecord } from '../output-record.js';
import { computeGrant } from '../policy.js';
import type { PythonInstance } from './instance.js';
import { PLUGIN_DIR, splitEntry, startInstance, synthesizedManifest } from './plugin.js';
import { batchToRecords } from './records.js';
import { checkOutputs, type OutputEntry, type ReturnedFile } from './writer-outputs.js';

/** Where a writer's `output_base` is, in the sandbox's in-memory filesystem. */
export const OUTPUT_BASE = '/dativo/output';

function writerConfig(job: ResolvedJob): Record<string, unknown> {
  return {
    ...pluginConfigFrom(job.target.config, 'writer'),
    type: job.target.type,
    file_format: job.target.fileFormat,
    partitioning: job.target.partitioning,
    // Where the outputs go is the host's business (and may hold credentials): never the plugin's.
    connection: {},
  };
}

function assetDefinition(job: ResolvedJob): Record<string, unknown> {
  const c = job.contract;
  return {
    name: c.name,
    version: c.version,
    domain: c.domain ?? null,
    dataProduct: c.dataProduct ?? null,
    schema: c.fields.map((f) => ({ name: f.name, type: f.typeName, required: f.required })),
  };
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createPythonWriter(
  job: ResolvedJob,
  opts: { logger?: Logger; secrets?: SecretLookup } = {},
): PluginSink {
  const { file, className } = splitEntry(job.target.customWriter ?? '');
  if (!existsSync(file) || !statSync(file).isFile())
    throw new DativoError('CONFIG_NOT_FOUND', `Python plugin ${file} does not exist`, {
      location: job.locate('target.custom_writer'),
    });
  const manifest = synthesizedManifest(file, 'writer');
  const grant = computeGrant(manifest, { hosts: [], secrets: [] }, job.sandbox, opts.logger);
  const name = grant.plugin;
  const pluginPath = `${PLUGIN_DIR}/${path.basename(file)}`;
  let instance: PythonInstance | undefined;
  let ctx: SinkOpenContext | undefined;
  let staging: string | undefined;
  let rows = 0;
  let batches = 0;
  const returned: ReturnedFile[] = [];
  let collected: PluginOutputFile[] = [];

  const live = (): PythonInstance => {
    if (!instance) throw new DativoError('INTERNAL', `plugin ${name}: used before open()`);
    return instance;
  };

  const release = async (): Promise<void> => {
    const inst = instance;
    instance = undefined;
    if (inst) await inst.close();
    if (staging) rmSync(staging, { recursive: true, force: true });
    staging = undefined;
  };

  /** The files under output_base, checked, copied into the host staging folder. */
  const collect = async (): Promise<PluginOutputFile[]> => {
    const inst = live();
    const { value } = await inst.request('list_output', { root: OUTPUT_BASE });
    const files = checkOutputs(name, OUTPUT_BASE, value as OutputEntry[], returned);
    const dir = mkdtempSync(path.join(os.tmpdir(), `dativo-pywriter-${name}-`));
    staging = dir;
    const out: PluginOutputFile[] = [];
    // One at a time: the instance answers one request at a time.
    for (const f of files) {
      const { body } = await inst.request('read_output', { root: OUTPUT_BASE, name: f.name });
      const dest = path.join(dir, ...f.name.split('/'));
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, body);
      out.push({ name: f.name, path: dest, bytes: body.byteLength });
    }
    return out;
  };

  return {
    kind: `plugin:${name}`,

    async open(c) {
      ctx = c;
      const logger = c.logger ?? opts.logger;
      instance = await startInstance(grant, [{ host: file, python: pluginPath }], { ...opts, logger });
      await instance.request('open', {
        role: 'writer',
        module: pluginPath,
        class: className,
        config: writerConfig(job),
        asset: assetDefinition(job),
        output_base: OUTPUT_BASE,
      });
      return { rolledForward: [], cleaned: [] };
    },

    async write(batch: RecordBatch) {
      if (ctx?.signal?.aborted)
        throw new DativoError('INTERRUPTED', `plugin ${name}: interrupted`, { location: { plugin: name } });
      const { value } = await live().request('write', {
        records: batchToRecords(batch),
        file_counter: batches,
      });
      batches++;
      rows += batch.numRows;
      const files = (value as { files?: unknown } | null)?.files;
      if (Array.isArray(files)) returned.push(...(files as ReturnedFile[]));
    },

    async commit(req: CommitRequest): Promise<CommitResult> {
      if (!ctx) throw new DativoError('INTERNAL', `plugin ${name}: commit() before open()`);
      collected = await collect();
      const record = outputsRecord(
        ctx,
        collected.map((f) => ({ name: f.name, stagingPath: f.path, bytes: f.bytes })),
        rows,
        req,
      );
      return { record };
    },

    /**
     * The outputs are published: `commit_files` runs now. Its failure is logged, never thrown:
     * the data is committed and visible, and failing the run would make a retry write it again.
     */
    async afterPublish(record: CommitRecord) {
      const logger = ctx?.logger ?? opts.logger;
      try {
        const meta = returned.map((f) => ({ ...f }));
        const { value } = await live().request('commit', { files: meta });
        logger?.info({ plugin: name, run: record.runId, result: value }, 'commit_files returned');
      } catch (e) {
        logger?.warn(
          { plugin: name, run: record.runId, err: (e as Error).message },
          'commit_files failed after the outputs were published; the run stays committed',
        );
      } finally {
        await release();
      }
    },

    async abort() {
      collected = [];
      await release();
    },

    staged: () =>
      collected.map((f) => ({ key: f.name, stagingKey: f.path, rows: 0, bytes: f.bytes, partition: {} })),
    outputs: () => collected,
    commitSummary: () => undefined,
    stagingDir: () => staging,
  };
}
