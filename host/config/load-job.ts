/**
 * Job file → ResolvedJob: schema check, recipe resolution and deep merge, registry rules, interpolation
 * of the effective config, credentials, contract, defaults. Each phase reports all of its problems at
 * once, every one with file:line:column and key path.
 */
import path from 'node:path';
import { loadContract } from '../contract/load.js';
import { DativoError, DativoErrors, type Location } from '../errors.js';
import { resolveCredentials } from './credentials.js';
import {
  chooseSourceEngine,
  chooseTargetEngine,
  engineNames,
  flattenOptions,
  mergeSource,
  mergeTarget,
} from './effective.js';
import {
  type ConfigReference,
  type InterpolationContext,
  interpolateString,
  interpolateTree,
} from './interpolate.js';
import { parseWithPositions } from './issues.js';
import { buildPlugin, buildSandbox, finopsOf, loggingOf, retryOf } from './job-parts.js';
import { type JobFile, jobSchema } from './job-schema.js';
import { isPlainObject } from './merge.js';
import { locateEffective, type Origins } from './origin.js';
import { type PathBase, resolveEntryPoint, resolvePath, resolveRecipePath } from './paths.js';
import { loadRecipe, type Recipe } from './recipe.js';
import { loadRegistry, type Registry, validateAgainstRegistry } from './registry.js';
import type { SecretLookup } from './secret-lookup.js';
import type { Compression, ResolvedJob, ResolvedSource, ResolvedTarget, RetryConfig } from './types.js';
import { withoutUnusedBranches } from './unused-branches.js';
import { type KeyPath, loadYamlFile, parseKeyPath } from './yaml-source.js';

export interface LoadOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  mode?: 'self_hosted' | 'cloud';
  stateDir?: string;
  secrets?: SecretLookup;
  /** Another registry file (tests); default: the bundled `registry/connectors.yaml`. */
  registryPath?: string;
}

const PATH_KEYS = new Set(['source_connector_path', 'target_connector_path', 'asset_path']);

/** Path-like keys of the effective config, where `$VAR` without braces expands (as in the original). */
function isPathKey(p: KeyPath): boolean {
  const s = p.filter((x) => typeof x === 'string').join('.');
  return (
    PATH_KEYS.has(s) ||
    s === 'source.files.path' ||
    s === 'source.incremental.state_path' ||
    s === 'source.custom_reader' ||
    s === 'target.custom_writer' ||
    s === 'source.plugin.path' ||
    s === 'target.plugin.path' ||
    s === 'target.connection.path'
  );
}

/** Throw what a phase found: one error as is, several at once in file order (the job file first). */
function throwAll(errors: DativoError[], jobFile?: string): void {
  if (errors.length === 1 && errors[0]) throw errors[0];
  if (errors.length > 1) {
    const rank = (e: DativoError): [number, string, number, number] => {
      const l = e.location;
      return [l?.file === jobFile ? 0 : 1, l?.file ?? '', l?.line ?? 0, l?.column ?? 0];
    };
    const sorted = [...errors].sort((a, b) => {
      const [ra, rb] = [rank(a), rank(b)];
      return ra[0] - rb[0] || ra[1].localeCompare(rb[1]) || ra[2] - rb[2] || ra[3] - rb[3];
    });
    throw new DativoErrors(sorted);
  }
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export async function loadJob(file: string, opts: LoadOptions = {}): Promise<ResolvedJob> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const mode = opts.mode ?? 'self_hosted';
  const jobSrc = await loadYamlFile(path.resolve(cwd, file));
  const job: JobFile = parseWithPositions(jobSchema, jobSrc.data, jobSrc, {
    what: 'a job',
    schema: jobSchema,
  });
  const base: PathBase = { cwd, jobDir: path.dirname(jobSrc.file) };
  const origins: Origins = { job: jobSrc };
  const references: ConfigReference[] = [];
  const ictx: InterpolationContext = {
    env,
    secrets: opts.secrets,
    locate: (p) => locateEffective(origins, p),
    isPathKey,
    onReference: (r) => references.push(r),
  };

  // 1. The three files the job names.
  const errors: DativoError[] = [];
  const pathOf = (key: 'source_connector_path' | 'target_connector_path' | 'asset_path'): string =>
    interpolateString(job[key], [key], ictx, errors);
  const raw = {
    src: pathOf('source_connector_path'),
    tgt: pathOf('target_connector_path'),
    asset: pathOf('asset_path'),
  };
  throwAll(errors, jobSrc.file);
  const notFound = (key: string, p: string, extra = ''): DativoError => {
    const looked = path.isAbsolute(p)
      ? extra
        ? ` (also looked in${extra})`
        : ''
      : ` (looked in ${cwd} and ${base.jobDir}${extra ? `, and in${extra}` : ''})`;
    return new DativoError('CONFIG_NOT_FOUND', `the file named by ${key} does not exist: ${p}${looked}`, {
      location: jobSrc.locate([key]),
    });
  };
  const srcRecipePath = resolveRecipePath(raw.src, base);
  const tgtRecipePath = resolveRecipePath(raw.tgt, base);
  const assetPath = resolvePath(raw.asset, base);
  if (!srcRecipePath) errors.push(notFound('source_connector_path', raw.src, ' the bundled recipes'));
  if (!tgtRecipePath) errors.push(notFound('target_connector_path', raw.tgt, ' the bundled recipes'));
  if (!(await fileExists(assetPath))) errors.push(notFound('asset_path', raw.asset));
  throwAll(errors, jobSrc.file);

  // 2. Recipes and registry.
  const srcRecipe = await loadRecipe(srcRecipePath as string, jobSrc.locate(['source_connector_path']));
  const tgtRecipe = await loadRecipe(tgtRecipePath as string, jobSrc.locate(['target_connector_path']));
  origins.sourceRecipe = srcRecipe.src;
  origins.targetRecipe = tgtRecipe.src;
  const registry = await loadRegistry(opts.registryPath);
  const jobSource = job.source ?? {};
  const jobTarget = job.target ?? {};
  const srcEntry = registry.connectors[srcRecipe.data.type];
  const tgtEntry = registry.connectors[tgtRecipe.data.type];
  const srcEngine = chooseSourceEngine(srcRecipe.data, jobSource, srcEntry?.default_engine);
  const tgtEngine = chooseTargetEngine(tgtRecipe.data, jobTarget, tgtEntry?.default_engine);
  const srcMerged = mergeSource(srcRecipe.data, jobSource, srcEngine.engine);
  const tgtMerged = mergeTarget(tgtRecipe.data, jobTarget, tgtEngine.engine);
  checkRegistry(registry, {
    job,
    jobSrcLocate: (k) => jobSrc.locate(k),
    locate: ictx.locate,
    mode,
    srcRecipe,
    tgtRecipe,
    srcMerged,
    srcEngine,
    tgtEngine,
  });

  // 3. Interpolate the effective config only.
  // Branches the chosen engine and store never read need none of their variables.
  const engineSet = engineNames(registry);
  const srcUsed = withoutUnusedBranches(srcMerged, srcEngine.engine, engineSet);
  const tgtUsed = withoutUnusedBranches(tgtMerged, tgtEngine.engine, engineSet);
  const source = interpolateTree(srcUsed, ['source'], ictx, errors) as Record<string, unknown>;
  const target = interpolateTree(tgtUsed, ['target'], ictx, errors) as Record<string, unknown>;
  const catalog = job.catalog ? interpolateTree(job.catalog, ['catalog'], ictx, errors) : undefined;
  throwAll(errors, jobSrc.file);

  // 4. Contract.
  const contract = await loadContract(assetPath, jobSrc.locate(['asset_path']));

  const engines = engineNames(registry);
  const resolvedSource = buildSource(source, srcEngine.engine, engines, base, {
    tenant: job.tenant_id,
    recipe: srcRecipe,
    env,
    secrets: opts.secrets,
    cwd,
    stateDir: opts.stateDir ?? env.STATE_DIR ?? '.local/state',
  });
  resolvedSource.source.engineExplicit = srcEngine.explicit;
  const resolvedTarget = buildTarget(target, tgtEngine.engine, engines, base, {
    jobPartitioning: jobTarget.partitioning,
    recipePartitioning: tgtRecipe.data.partitioning_default,
    contractPartitioning: contract.target.partitioning,
    locate: ictx.locate,
  });

  const resolved: ResolvedJob = {
    file: jobSrc.file,
    name: path.basename(jobSrc.file).replace(/\.ya?ml$/i, ''),
    tenantId: job.tenant_id,
    validationMode: job.schema_validation_mode ?? 'strict',
    source: resolvedSource.source,
    target: resolvedTarget,
    contract,
    classificationOverrides: Object.fromEntries(
      Object.entries(job.classification_overrides ?? {}).map(([k, v]) => [k, v.toLowerCase()]),
    ),
    retry: retryOf(job.retry_config) satisfies RetryConfig,
    logging: loggingOf(job.logging),
    statePath: resolvedSource.statePath,
    locate: (keyPath: string): Location => locateEffective(origins, parseKeyPath(keyPath)),
  };
  if (job.environment !== undefined) resolved.environment = job.environment;
  const finops = finopsOf(job.finops);
  if (finops) resolved.finops = finops;
  const gov = job.governance_overrides;
  if (gov) {
    resolved.governanceOverrides = {};
    if (gov.retention_days !== undefined) resolved.governanceOverrides.retentionDays = gov.retention_days;
    if (gov.owner !== undefined) resolved.governanceOverrides.owner = gov.owner;
  }
  const sandbox = buildSandbox(job.plugins?.sandbox);
  if (sandbox) resolved.sandbox = sandbox;
  resolved.references = references;
  if (catalog !== undefined) resolved.catalog = catalog as Record<string, unknown>;
  return resolved;
}

interface RegistryCheck {
  job: JobFile;
  jobSrcLocate(k: KeyPath): Location;
  locate(k: KeyPath): Location;
  mode: 'self_hosted' | 'cloud';
  srcRecipe: Recipe;
  tgtRecipe: Recipe;
  srcMerged: Record<string, unknown>;
  srcEngine: { engine: string; from: KeyPath | undefined };
  tgtEngine: { engine: string; from: KeyPath | undefined };
}

function checkRegistry(registry: Registry, c: RegistryCheck): void {
  const src = c.job.source ?? {};
  const inc = c.srcMerged.incremental as Record<string, unknown> | undefined;
  const tables = src.tables ?? [];
  const hasCursorField =
    inc !== undefined &&
    ('cursor_field' in inc || (tables.length > 0 && tables.every((t) => 'cursor_field' in t)));
  const srcConnector = c.jobSrcLocate(['source_connector_path']);
  const tgtConnector = c.jobSrcLocate(['target_connector_path']);
  const errors = [
    ...validateAgainstRegistry(registry, {
      role: 'source',
      type: c.srcRecipe.data.type,
      recipeRoles: c.srcRecipe.data.roles,
      engine: c.srcEngine.engine,
      mode: c.mode,
      incremental: inc ? { strategy: String(inc.strategy), hasCursorField } : undefined,
      hasFiles: (src.files ?? []).length > 0,
      hasSheets: (src.sheets ?? []).length > 0,
      customInput: src.custom_reader !== undefined || src.plugin !== undefined,
      where: {
        connector: srcConnector,
        engine: c.srcEngine.from ? c.locate(c.srcEngine.from) : srcConnector,
        strategy: c.locate(['source', 'incremental', 'strategy']),
        incremental: c.locate(['source', 'incremental', 'cursor_field']),
      },
    }),
    ...validateAgainstRegistry(registry, {
      role: 'target',
      type: c.tgtRecipe.data.type,
      recipeRoles: c.tgtRecipe.data.roles,
      engine: c.tgtEngine.engine,
      mode: c.mode,
      where: {
        connector: tgtConnector,
        engine: c.tgtEngine.from ? c.locate(c.tgtEngine.from) : tgtConnector,
      },
    }),
  ];
  throwAll(errors, c.jobSrcLocate([]).file);
}

interface SourceExtras {
  tenant: string;
  recipe: Recipe;
  env: Record<string, string | undefined>;
  secrets?: SecretLookup;
  cwd: string;
  stateDir: string;
}

function buildSource(
  config: Record<string, unknown>,
  engine: string,
  engines: Set<string>,
  base: PathBase,
  x: SourceExtras,
): { source: ResolvedSource; statePath: string } {
  const files = (Array.isArray(config.files) ? config.files : []).map((f: Record<string, unknown>) => {
    const out: ResolvedSource['files'][number] = {
      path: typeof f.path === 'string' ? resolvePath(f.path, base) : '',
    };
    if (typeof f.object === 'string') out.object = f.object;
    if (f.id !== undefined) out.id = String(f.id);
    if (typeof f.path === 'string') f.path = out.path;
    return out;
  });
  const objects = Array.isArray(config.objects) ? (config.objects as string[]) : [];
  const tables = Array.isArray(config.tables) ? (config.tables as Record<string, unknown>[]) : [];
  const object =
    objects[0] ??
    files.find((f) => f.object)?.object ??
    (tables.find((t) => typeof t.object === 'string')?.object as string | undefined) ??
    'default';
  const inc = config.incremental as Record<string, unknown> | undefined;
  const statePath =
    typeof inc?.state_path === 'string'
      ? path.resolve(x.cwd, inc.state_path)
      : path.resolve(x.cwd, x.stateDir, x.tenant, `${x.recipe.data.type}.${object}.state.json`);
  const source: ResolvedSource = {
    type: x.recipe.data.type,
    engine,
    config,
    options: flattenOptions(config.engine, engine, engines),
    files,
    objects,
    credentials: resolveCredentials({
      tenant: x.tenant,
      recipe: x.recipe.data.credentials,
      inline: isPlainObject(config.credentials) ? config.credentials : undefined,
      env: x.env,
      secrets: x.secrets,
    }),
  };
  if (inc) {
    source.incremental = {
      strategy: String(inc.strategy),
      lookbackDays: typeof inc.lookback_days === 'number' ? inc.lookback_days : 0,
      statePath,
    };
    if ('cursor_field' in inc)
      source.incremental.cursorField = (inc.cursor_field as string | null | undefined) ?? null;
  }
  if (typeof config.custom_reader === 'string')
    source.customReader = resolveEntryPoint(config.custom_reader, base);
  const plugin = buildPlugin(config.plugin, base);
  if (plugin) source.plugin = plugin;
  return { source, statePath };
}

interface TargetExtras {
  jobPartitioning: string[] | undefined;
  recipePartitioning: string[] | undefined;
  contractPartitioning: string[] | undefined;
  locate(k: KeyPath): Location;
}

const COMPRESSIONS: Record<string, Compression> = {
  zstd: 'zstd',
  snappy: 'snappy',
  gzip: 'gzip',
  none: 'none',
  uncompressed: 'none',
};

function buildTarget(
  config: Record<string, unknown>,
  engine: string,
  engines: Set<string>,
  base: PathBase,
  x: TargetExtras,
): ResolvedTarget {
  const options = flattenOptions(config.engine, engine, engines);
  const connection = isPlainObject(config.connection) ? config.connection : {};
  if (typeof connection.path === 'string') connection.path = resolvePath(connection.path, base);
  const optionKey = (k: string): KeyPath => {
    const eng = (config.engine as { options?: Record<string, unknown> } | undefined)?.options;
    return isPlainObject(eng?.[engine]) && k in (eng[engine] as object)
      ? ['target', 'engine', 'options', engine, k]
      : ['target', 'engine', 'options', k];
  };
  // snappy unless the job or recipe says otherwise: what the original always wrote and what the
  // original's S3/MinIO/Iceberg recipes name, and half parquet-wasm's encoding cost of zstd.
  const compressionRaw = config.compression ?? options.compression ?? 'snappy';
  const compression = COMPRESSIONS[String(compressionRaw).toLowerCase()];
  if (!compression) {
    const where = config.compression !== undefined ? ['target', 'compression'] : optionKey('compression');
    throw new DativoError(
      'CONFIG_INVALID',
      `unknown compression "${String(compressionRaw)}" (use zstd, snappy, gzip or none)`,
      { location: x.locate(where) },
    );
  }
  const rgRaw = config.row_group_size ?? options.row_group_size ?? 131072;
  const rowGroupSize = Number(rgRaw);
  if (!Number.isInteger(rowGroupSize) || rowGroupSize <= 0) {
    const where =
      config.row_group_size !== undefined ? ['target', 'row_group_size'] : optionKey('row_group_size');
    throw new DativoError(
      'CONFIG_INVALID',
      `row_group_size must be a positive integer, got ${JSON.stringify(rgRaw)}`,
      { location: x.locate(where) },
    );
  }
  const partitioning = x.jobPartitioning ?? x.recipePartitioning ?? x.contractPartitioning ?? [];
  config.partitioning = partitioning;
  const target: ResolvedTarget = {
    type: String(config.type),
    engine,
    config,
    options,
    connection,
    fileFormat: typeof config.file_format === 'string' ? config.file_format : 'parquet',
    partitioning,
    parquetTargetSizeMb:
      typeof config.parquet_target_size_mb === 'number' ? config.parquet_target_size_mb : 128,
    compression,
    rowGroupSize,
  };
  if (typeof config.custom_writer === 'string')
    target.customWriter = resolveEntryPoint(config.custom_writer, base);
  const plugin = buildPlugin(config.plugin, base);
  if (plugin) target.plugin = plugin;
  return target;
}

async function fileExists(p: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
