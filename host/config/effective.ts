/**
 * The effective source and target blocks: recipe defaults under the job's keys (deep), with the
 * engine chosen and incremental defaults applied. Pure functions over already-validated data.
 */

import type { SourceBlock, TargetBlock } from './job-schema.js';
import { deepMerge, isPlainObject } from './merge.js';
import type { RecipeData } from './recipe.js';
import type { Registry } from './registry.js';
import type { KeyPath } from './yaml-source.js';

const KNOWN_ENGINES = ['native', 'airbyte', 'meltano', 'singer', 'jdbc', 'spark'];

export function engineNames(registry: Registry): Set<string> {
  const names = new Set(KNOWN_ENGINES);
  for (const e of Object.values(registry.connectors)) for (const n of e.engines_supported) names.add(n);
  return names;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Recipe incremental defaults overlaid by the job map; undefined when neither names a strategy. */
export function effectiveIncremental(
  recipe: RecipeData,
  job: SourceBlock,
): Record<string, unknown> | undefined {
  const r = recipe.incremental;
  const base: Record<string, unknown> = {};
  if (r?.strategy !== undefined) base.strategy = r.strategy;
  if (r && 'cursor_field_default' in r) base.cursor_field = r.cursor_field_default;
  // Deliberate change from the original: a job without an `incremental` map still uses its recipe's
  // strategy (the original silently re-ingested everything). Its first run reads everything,
  // though: the recipe's lookback (postgres: 1 day) applies only when the job opts in with a map,
  // or a first run would silently skip all older rows.
  base.lookback_days = job.incremental ? (r?.lookback_days_default ?? 0) : 0;
  const merged = { ...base, ...(job.incremental ?? {}) };
  return merged.strategy === undefined ? undefined : merged;
}

export interface EngineChoice {
  engine: string;
  /** True when the job itself named the engine (not its recipe or the registry). */
  explicit: boolean;
  /** Where the choice was made, as an effective key path ('' = registry default, located at the connector path). */
  from: KeyPath | undefined;
}

export function chooseSourceEngine(
  recipe: RecipeData,
  job: SourceBlock,
  registryDefault: string | undefined,
): EngineChoice {
  if (job.engine_override)
    return { engine: job.engine_override, from: ['source', 'engine_override'], explicit: true };
  if (job.engine?.type)
    return { engine: job.engine.type, from: ['source', 'engine', 'type'], explicit: true };
  if (recipe.default_engine?.type)
    return { engine: recipe.default_engine.type, from: ['source', 'engine', 'type'], explicit: false };
  return { engine: registryDefault ?? 'native', from: undefined, explicit: false };
}

export function chooseTargetEngine(
  recipe: RecipeData,
  job: TargetBlock,
  registryDefault: string | undefined,
): EngineChoice {
  if (job.engine?.type)
    return { engine: job.engine.type, from: ['target', 'engine', 'type'], explicit: true };
  if (recipe.default_engine?.type)
    return { engine: recipe.default_engine.type, from: ['target', 'engine', 'type'], explicit: false };
  return { engine: registryDefault ?? 'native', from: undefined, explicit: false };
}

/** Effective `source` block (before interpolation). */
export function mergeSource(recipe: RecipeData, job: SourceBlock, engine: string): Record<string, unknown> {
  const base = defined({
    engine: recipe.default_engine,
    connection: recipe.connection_template,
    credentials: recipe.credentials,
    rate_limits: recipe.rate_limits,
  });
  const { incremental: _ignored, ...jobRest } = job;
  const merged = deepMerge(base, jobRest) as Record<string, unknown>;
  merged.type = recipe.type;
  merged.engine = { ...(isPlainObject(merged.engine) ? merged.engine : {}), type: engine };
  const inc = effectiveIncremental(recipe, job);
  if (inc) merged.incremental = inc;
  return merged;
}

/**
 * An Iceberg target whose warehouse is a local folder (`warehouse: some/dir`, or
 * `connection.path`) with no REST catalog and no S3 connection of its own never touches S3.
 */
function localIcebergWarehouse(recipe: RecipeData, job: TargetBlock): boolean {
  if (recipe.type !== 'iceberg') return false;
  const conn: Record<string, unknown> = isPlainObject(job.connection) ? job.connection : {};
  if (conn.nessie || conn.rest || conn.s3) return false;
  const warehouse = job.warehouse ?? conn.warehouse;
  if (typeof warehouse === 'string') return !/^s3[an]?:\/\//.test(warehouse);
  return typeof conn.path === 'string';
}

/** The recipe's connection template, without the S3 part a local Iceberg warehouse never uses. */
function targetConnectionTemplate(recipe: RecipeData, job: TargetBlock): unknown {
  const template = recipe.connection_template;
  if (!isPlainObject(template) || !localIcebergWarehouse(recipe, job)) return template;
  // Its `${S3_ENDPOINT}`, `${AWS_ACCESS_KEY_ID}`… would make every local run demand S3 variables.
  const { s3: _unused, ...rest } = template;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Effective `target` block (before interpolation). */
export function mergeTarget(recipe: RecipeData, job: TargetBlock, engine: string): Record<string, unknown> {
  const base = defined({
    engine: recipe.default_engine,
    connection: targetConnectionTemplate(recipe, job),
    catalog: recipe.catalog,
    file_format: recipe.file_format,
    partitioning: recipe.partitioning_default,
  });
  const merged = deepMerge(base, job) as Record<string, unknown>;
  merged.type = recipe.type;
  merged.engine = { ...(isPlainObject(merged.engine) ? merged.engine : {}), type: engine };
  return merged;
}

/**
 * Engine options, flattened (see ResolvedSource.options): `options.<engine>` from recipe and job,
 * then the plain (non-engine-named) keys of the job's `engine.options`, later winning.
 */
export function flattenOptions(
  mergedEngine: unknown,
  engine: string,
  engines: Set<string>,
): Record<string, unknown> {
  const options =
    isPlainObject(mergedEngine) && isPlainObject(mergedEngine.options) ? mergedEngine.options : {};
  const perEngine = isPlainObject(options[engine]) ? options[engine] : {};
  const plain = Object.fromEntries(Object.entries(options).filter(([k]) => !engines.has(k)));
  return { ...perEngine, ...plain };
}
