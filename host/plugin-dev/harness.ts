/**
 * `dativo plugin test`: run a plugin through the real host (manifest → grant → sha256 → module
 * checks → Extism instance in its worker) against a test config, and check what it produces.
 * A reader's batches are checked against the contract of its stream (names, Arrow types,
 * nullability); a writer gets generated records of that contract and must commit. The grant is
 * everything the manifest requests: the point is to test the plugin, not a job's policy.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { staticSecrets } from '../config/secret-lookup.js';
import { loadContract } from '../contract/load.js';
import type { Contract } from '../contract/model.js';
import { DativoError } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { createExtismSink } from '../plugins/extism/sink.js';
import { createExtismSource } from '../plugins/extism/source.js';
import { grantInputFiles } from '../plugins/input-files.js';
import { type PreparedPlugin, preparePlugin } from '../plugins/load.js';
import { loadPluginManifest, type PluginManifest } from '../plugins/manifest.js';
import { configFromSchema } from './config-gen.js';
import { testPythonReader } from './python-test.js';
import { readAndCheck } from './reader-check.js';
import { generateRecords, recordsToBatch } from './records.js';
import type { SchemaMismatch } from './schema-check.js';

export const TEST_CONFIG_FILE = 'test-config.yaml';

export interface PluginTestOptions {
  /** Plugin folder (holding dativo-plugin.yaml). */
  dir: string;
  /** A config file instead of `<dir>/test-config.yaml` / the generated one. */
  configFile?: string;
  /** Which of the manifest's streams (default: the first). */
  stream?: string;
  batchSize?: number;
  /** Stop a reader after this many batches (default: read to the end). */
  maxBatches?: number;
  /** Input files granted to a reader that requests `capabilities.files` (default: its job.yaml's). */
  files?: string[];
  /** Rows generated for a writer (default 1000, in batches of batchSize). */
  rows?: number;
  secrets?: Record<string, string>;
  logger?: Logger;
  onBatch?: (info: { batch: number; rows: number }) => void;
}

export interface PluginTestReport {
  plugin: string;
  role: 'reader' | 'writer';
  configFrom: string;
  config: Record<string, unknown>;
  /** Contract the batches were checked against, relative to the plugin folder. */
  contract?: string;
  /** The input files granted (logical names), for a reader that requests them. */
  files?: string[];
  batches: number;
  rows: number;
  mismatch?: SchemaMismatch;
  /** A writer's outputs (name and size). */
  outputs?: { name: string; bytes: number }[];
  commit?: Record<string, unknown>;
}

/** The config a test run uses, and where it came from. */
export function testConfigFor(
  dir: string,
  manifest: PluginManifest,
  configFile?: string,
): { config: Record<string, unknown>; from: string } {
  const file = configFile ?? path.join(dir, TEST_CONFIG_FILE);
  if (configFile || existsSync(file)) {
    const raw = parseYaml(readFileSync(file, 'utf8')) as unknown;
    if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
      throw new DativoError('CONFIG_INVALID', `${file}: a test config must be a YAML map`, {
        location: { file },
      });
    }
    return { config: (raw ?? {}) as Record<string, unknown>, from: configFile ?? TEST_CONFIG_FILE };
  }
  return {
    config: configFromSchema(manifest.config_schema),
    from: manifest.config_schema ? 'generated from config_schema' : 'empty (no config_schema)',
  };
}

/** The contract of the chosen stream, resolved against the plugin folder. */
export async function streamContract(
  dir: string,
  manifest: PluginManifest,
  stream?: string,
): Promise<{ contract?: Contract; rel?: string; stream?: string }> {
  const s = stream ? manifest.streams.find((x) => x.name === stream) : manifest.streams[0];
  if (stream && !s) {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name} declares no stream "${stream}" (streams: ${manifest.streams.map((x) => x.name).join(', ') || 'none'})`,
      { location: { plugin: manifest.name } },
    );
  }
  if (!s?.contract) return s ? { stream: s.name } : {};
  const file = path.resolve(dir, s.contract);
  return { contract: await loadContract(file), rel: s.contract, stream: s.name };
}

/**
 * The files a reader that requests `capabilities.files` reads in a test: the ones given, else the
 * `source.files` of the plugin folder's `job.yaml` (what `plugin init` writes), so the scaffold
 * tests as generated. Paths resolve against the plugin folder.
 */
export function testFilesFor(dir: string, given?: string[]): string[] {
  if (given && given.length > 0) return given.map((f) => path.resolve(f));
  const job = path.join(dir, 'job.yaml');
  if (!existsSync(job)) return [];
  const doc = parseYaml(readFileSync(job, 'utf8')) as { source?: { files?: unknown } } | null;
  const files = Array.isArray(doc?.source?.files) ? doc.source.files : [];
  return files
    .map((f: unknown) => (typeof f === 'string' ? f : (f as { path?: unknown } | null)?.path))
    .filter((f): f is string => typeof f === 'string')
    .map((f) => path.resolve(dir, f));
}

/** The plugin as a job would open it, granted everything its manifest requests. */
export function prepare(
  dir: string,
  manifest: PluginManifest,
  config: Record<string, unknown>,
): PreparedPlugin {
  return preparePlugin(dir, {
    role: manifest.role,
    // `plugin test` is the author's own check: it allows what the manifest asks (host maxima still apply).
    allow: {
      hosts: manifest.capabilities.network?.hosts ?? [],
      secrets: manifest.capabilities.secrets,
      memoryMb: manifest.capabilities.memory_mb,
      timeoutMs: manifest.capabilities.timeout_ms,
      outputMb: manifest.capabilities.output_mb,
    },
    config,
  });
}

export async function testPlugin(opts: PluginTestOptions): Promise<PluginTestReport> {
  const dir = path.resolve(opts.dir);
  const { manifest } = loadPluginManifest(dir, 'reader');
  const { config, from } = testConfigFor(dir, manifest, opts.configFile);
  const { contract, rel, stream } = await streamContract(dir, manifest, opts.stream);
  const logger = opts.logger ?? silentLogger();
  const batchSize = opts.batchSize ?? 1000;
  if (manifest.runtime === 'python') {
    const base = {
      plugin: manifest.name,
      role: manifest.role,
      configFrom: from,
      config,
      batches: 0,
      rows: 0,
    };
    return testPythonReader(
      dir,
      {
        config,
        stream,
        filePaths: testFilesFor(dir, opts.files),
        secrets: staticSecrets(opts.secrets ?? {}),
        read: { ...opts, contract, batchSize, logger },
      },
      { ...base, ...(rel ? { contract: rel } : {}) } as PluginTestReport,
    );
  }
  const prepared = prepare(dir, manifest, config);
  if (manifest.role === 'reader' && manifest.capabilities.files) {
    const files = testFilesFor(dir, opts.files).map((p) => ({ path: p }));
    prepared.grant.files = await grantInputFiles(manifest, files, logger);
  }
  const secrets = staticSecrets(opts.secrets ?? {});
  const report: PluginTestReport = {
    plugin: manifest.name,
    role: manifest.role,
    configFrom: from,
    config,
    ...(rel ? { contract: rel } : {}),
    ...(prepared.grant.files ? { files: prepared.grant.files.map((f) => f.name) } : {}),
    batches: 0,
    rows: 0,
  };
  if (manifest.role === 'reader') {
    const source = createExtismSource({ prepared, secrets, logger, ...(stream ? { stream } : {}) });
    return readAndCheck(source, { ...opts, contract, batchSize, logger }, report);
  }
  if (!contract) {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: a writer needs a stream with a contract in its manifest to generate test records`,
      { location: { plugin: manifest.name } },
    );
  }
  const publishDir = mkdtempSync(path.join(os.tmpdir(), `dativo-plugin-test-${manifest.name}-`));
  const sink = createExtismSink({ prepared, secrets, logger, publishDir, ...(stream ? { stream } : {}) });
  try {
    await sink.open({
      runId: 'plugin-test',
      job: `plugin-test-${manifest.name}`,
      tenant: 'plugin-test',
      logger,
    });
    const total = opts.rows ?? 1000;
    for (let start = 1; start <= total; start += batchSize) {
      const rows = generateRecords(contract.fields, Math.min(batchSize, total - start + 1), { start });
      await sink.write(recordsToBatch(contract.fields, rows));
      report.batches++;
      report.rows += rows.length;
      opts.onBatch?.({ batch: report.batches, rows: rows.length });
    }
    await sink.commit({ state: {} });
    report.outputs = sink.outputs().map((o) => ({ name: o.name, bytes: o.bytes }));
    const summary = sink.commitSummary();
    if (summary) report.commit = summary;
    return report;
  } catch (e) {
    await sink.abort(String(e)).catch(() => undefined);
    throw e;
  } finally {
    rmSync(publishDir, { recursive: true, force: true });
  }
}
