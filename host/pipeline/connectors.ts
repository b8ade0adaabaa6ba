/**
 * Which Source and Sink serve a job. The one place that knows which connectors, engines and
 * features exist today; everything valid but not built fails here with NOT_IMPLEMENTED, pointing
 * at the job key that asked for it. `validate` calls `assertImplemented` too, so it never
 * promises a run that cannot start.
 */
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import { DativoError, type Location } from '../errors.js';
import type { Source } from '../sources/source.js';
import type { Sink } from '../sinks/sink.js';
import { createCsvSource } from '../sources/csv/index.js';
import { createLocalSink } from '../sinks/local/index.js';
import { createS3Sink, s3TargetLocation } from '../sinks/s3/index.js';

const OBJECT_STORE_TARGETS = new Set(['s3', 'minio']);
const TARGETS = new Set(['local', ...OBJECT_STORE_TARGETS]);

function notImplemented(job: ResolvedJob, what: string, keyPath: string): DativoError {
  return new DativoError('NOT_IMPLEMENTED', `${what} is valid but not implemented in this version of Dativo`, {
    location: job.locate(keyPath),
  });
}

/**
 * Plugins this build refuses before anything else is loaded: native code for good (it cannot be
 * sandboxed), Python until its runtime exists. Undefined for a plugin the host may run.
 */
export function refusedPlugin(ref: string, location: Location): DativoError | undefined {
  const file = ref.split(':')[0] ?? ref;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.so' || ext === '.dylib' || ext === '.dll') {
    return new DativoError(
      'PLUGIN_DENIED',
      `native plugin ${file} refused: native code cannot be sandboxed. Compile the plugin to WebAssembly ` +
        'and point the job at the .wasm file or plugin directory',
      { location },
    );
  }
  if (ext === '.py') {
    return new DativoError(
      'NOT_IMPLEMENTED',
      `Python plugin ${file} needs the Python plugin runtime, which is not implemented in this version of Dativo`,
      { location },
    );
  }
  return undefined;
}

function pluginProblem(job: ResolvedJob, ref: string, keyPath: string): DativoError {
  return (
    refusedPlugin(ref, job.locate(keyPath)) ??
    notImplemented(job, `plugin ${ref.split(':')[0]} (the WebAssembly plugin host)`, keyPath)
  );
}

/** Throws the first reason this job cannot run in this build. Config only, no I/O. */
export function assertImplemented(job: ResolvedJob): void {
  const { source, target } = job;
  if (source.customReader) throw pluginProblem(job, source.customReader, 'source.custom_reader');
  if (target.customWriter) throw pluginProblem(job, target.customWriter, 'target.custom_writer');
  if (source.config.plugin !== undefined) throw notImplemented(job, 'source.plugin', 'source.plugin');
  if (target.config.plugin !== undefined) throw notImplemented(job, 'target.plugin', 'target.plugin');
  if (source.type !== 'csv') throw notImplemented(job, `source connector "${source.type}"`, 'source_connector_path');
  if (source.engine !== 'native') throw notImplemented(job, `engine "${source.engine}" for ${source.type}`, 'source');
  if (!TARGETS.has(target.type)) throw notImplemented(job, `target connector "${target.type}"`, 'target_connector_path');
  if (target.fileFormat !== 'parquet') throw notImplemented(job, `file_format "${target.fileFormat}"`, 'target');
  if (target.config.markdown_kv_storage !== undefined) {
    throw notImplemented(job, 'markdown_kv storage', 'target.markdown_kv_storage');
  }
}

export function createSource(job: ResolvedJob, batchSize: number): Source {
  return createCsvSource(job.source, { columnNames: job.contract.fields.map((f) => f.name), batchSize });
}

export interface SinkSettings {
  runId: string;
  kvMetadata: Record<string, string>;
}

export function createSink(job: ResolvedJob, settings: SinkSettings): Sink {
  if (OBJECT_STORE_TARGETS.has(job.target.type)) return createS3Sink(job, settings);
  return createLocalSink(job, settings);
}

/** Where a target writes, for reports (never includes credentials). */
export function targetLocation(job: ResolvedJob): string | undefined {
  if (OBJECT_STORE_TARGETS.has(job.target.type)) return s3TargetLocation(job);
  const p = job.target.connection.path;
  return typeof p === 'string' ? p : undefined;
}
