/**
 * The job file's shape (spec §3), including the keys the original documented but its own schema
 * rejected, and our additions (plugins with grants, local targets, writer tuning).
 * Unknown top-level keys are errors (typo protection); `source` and `target` accept extra keys,
 * as the original did, because connectors read their own settings from there.
 */
import { z } from 'zod';

const str = z.string();
const nonEmpty = z.string().min(1);
const anyMap = z.record(z.string(), z.unknown());

export const INCREMENTAL_STRATEGIES = [
  'updated_at',
  'updated_after',
  'created',
  'file_modified_time',
  'spreadsheet_modified_time',
] as const;

export const incrementalSchema = z.strictObject({
  strategy: z.enum(INCREMENTAL_STRATEGIES).optional(),
  cursor_field: z.string().nullable().optional(),
  lookback_days: z.number().int().min(0).optional(),
  state_path: nonEmpty.optional(),
});

export const pluginSchema = z
  .strictObject({
    path: nonEmpty.optional(),
    name: nonEmpty.optional(),
    allow: z
      .strictObject({
        hosts: z.array(str).optional(),
        secrets: z.array(str).optional(),
        memory_mb: z.number().positive().optional(),
        timeout_ms: z.number().int().positive().optional(),
        output_mb: z.number().positive().optional(),
        /** Log bytes per run (then dropped and counted). */
        log_mb: z.number().positive().optional(),
        /** Environment variables `${NAME}` may expand to in the plugin's config. */
        env: z.array(str).optional(),
        /** Upper bounds for the manifest's HTTP policy. */
        http: z
          .strictObject({
            methods: z.array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])).optional(),
            max_response_mb: z.number().positive().optional(),
            request_timeout_ms: z.number().int().positive().optional(),
            max_retries: z.number().int().min(0).optional(),
            initial_delay_ms: z.number().int().min(0).optional(),
            max_delay_ms: z.number().int().min(0).optional(),
            max_redirects: z.number().int().min(0).optional(),
            rate_per_second: z.number().min(0).optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .refine((p) => (p.path === undefined) !== (p.name === undefined), {
    message: 'a plugin needs exactly one of "path" or "name"',
  });

const engineSchema = z.looseObject({
  type: nonEmpty.optional(),
  options: anyMap.nullable().optional(),
});

const fileEntry = z
  .looseObject({
    path: nonEmpty.optional(),
    object: str.optional(),
    id: z.union([str, z.number()]).optional(),
  })
  .refine((f) => f.path !== undefined || f.id !== undefined, {
    message: 'a files[] entry needs "path" (or "id" for connectors that address files by id)',
  });

export const sourceSchema = z.looseObject({
  custom_reader: nonEmpty.optional(),
  plugin: pluginSchema.optional(),
  files: z.array(fileEntry).optional(),
  tables: z
    .array(z.looseObject({ name: nonEmpty, object: str.optional(), cursor_field: str.nullable().optional() }))
    .optional(),
  objects: z.array(nonEmpty).optional(),
  // Several streams in one run, each into its own contract: {stream name: asset_path}. The
  // original's list form (stream names; `objects` wins) still loads.
  streams: z
    .unknown()
    .superRefine((v, ctx) => {
      // Checked by hand so an error points at the entry, not at the whole union.
      const entries: [string | number, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v && typeof v === 'object'
          ? Object.entries(v)
          : [];
      if (entries.length === 0 && !Array.isArray(v) && !(v && typeof v === 'object')) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a map {stream: asset_path} (or a list of stream names)',
        });
      }
      for (const [k, x] of entries) {
        if (typeof x !== 'string' || x === '') {
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: Array.isArray(v)
              ? 'a stream name must be a non-empty string'
              : "must be the path of the stream's contract (asset_path)",
          });
        }
      }
    })
    .optional() as z.ZodOptional<z.ZodType<Record<string, string> | string[]>>,
  sheets: z
    .array(
      z.looseObject({
        id: str.optional(),
        object: str.optional(),
        range: str.optional(),
        sheet_name: str.optional(),
        has_header: z.boolean().optional(),
      }),
    )
    .optional(),
  connection: anyMap.optional(),
  credentials: anyMap.optional(),
  dsn: str.optional(),
  rate_limits: anyMap.optional(),
  engine: engineSchema.optional(),
  engine_override: nonEmpty.optional(),
  incremental: incrementalSchema.nullable().optional(),
});

/**
 * Every key the S3 settings are read under (sinks/s3/connection.ts, with its aliases), for the
 * nested `target.connection.s3` / `.minio` maps: a misspelt key there is an error naming the
 * nearest one, not a silently ignored setting. Values are checked where they are read.
 */
export const S3_CONNECTION_KEYS = [
  'bucket',
  'prefix',
  'region',
  'endpoint',
  'endpoint_url',
  'secure',
  'use_ssl',
  'path_style_access',
  'force_path_style',
  'path_style',
  'access_key_id',
  'access_key',
  'aws_access_key_id',
  'secret_access_key',
  'secret_key',
  'aws_secret_access_key',
  'session_token',
  'aws_session_token',
] as const;

const s3Map = z.strictObject(Object.fromEntries(S3_CONNECTION_KEYS.map((k) => [k, z.unknown().optional()])));

export const FILE_FORMATS = ['parquet', 'iceberg', 'delta', 'csv', 'json', 'markdown_kv'] as const;
export const COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'none'] as const;

export const targetSchema = z.looseObject({
  custom_writer: nonEmpty.optional(),
  plugin: pluginSchema.optional(),
  file_format: z.enum(FILE_FORMATS).optional(),
  connection: z
    .looseObject({
      s3: s3Map.optional(),
      minio: s3Map.optional(),
      nessie: z.looseObject({ uri: str.optional() }).optional(),
      path: nonEmpty.optional(),
    })
    .optional(),
  // The original's schema said object and its model said string; both are accepted.
  catalog: z.union([str, anyMap]).nullable().optional(),
  branch: str.optional(),
  warehouse: str.optional(),
  partitioning: z.array(nonEmpty).optional(),
  parquet_target_size_mb: z.number().positive().optional(),
  compression: z.enum(COMPRESSIONS).optional(),
  row_group_size: z.number().int().positive().optional(),
  engine: engineSchema.optional(),
  markdown_kv_storage: z
    .strictObject({
      mode: z.enum(['string', 'structured', 'raw_file']).optional(),
      structured_pattern: z.enum(['row_per_kv', 'document_level', 'hybrid']).optional(),
      file_extension: str.optional(),
      path_pattern: str.optional(),
    })
    .optional(),
});

const retrySchema = z.strictObject({
  max_retries: z.number().int().min(0).optional(),
  max_attempts: z.number().int().min(1).optional(),
  initial_delay_seconds: z.number().min(0).optional(),
  retry_delay_seconds: z.number().min(0).optional(),
  max_delay_seconds: z.number().min(0).optional(),
  backoff_multiplier: z.number().min(1).optional(),
  retryable_exit_codes: z.array(z.number().int()).optional(),
  retryable_error_patterns: z.array(str).optional(),
});

export const LOG_LEVELS = [
  'debug',
  'info',
  'warning',
  'warn',
  'error',
  'critical',
  'fatal',
  'trace',
] as const;

const loggingSchema = z.strictObject({
  level: z
    .string()
    .refine((l) => (LOG_LEVELS as readonly string[]).includes(l.toLowerCase()), {
      message: `must be one of ${LOG_LEVELS.join(', ')} (any case)`,
    })
    .optional(),
  redaction: z.boolean().optional(),
});

const catalogSchema = z.looseObject({
  type: z.enum(['openmetadata', 'aws_glue', 'databricks_unity', 'nessie']),
  connection: anyMap,
  database: str.optional(),
  table_name: str.optional(),
  push_lineage: z.boolean().optional(),
  push_metadata: z.boolean().optional(),
});

export const jobSchema = z.strictObject({
  $schema: str.optional(),
  tenant_id: nonEmpty,
  environment: str.optional(),
  source_connector: str.optional(),
  target_connector: str.optional(),
  asset: str.optional(),
  source_connector_path: nonEmpty,
  target_connector_path: nonEmpty,
  asset_path: nonEmpty,
  source: sourceSchema.optional(),
  target: targetSchema.optional(),
  schema_validation_mode: z.enum(['strict', 'warn']).optional(),
  retry_config: retrySchema.optional(),
  logging: loggingSchema.optional(),
  catalog: catalogSchema.optional(),
  classification_overrides: z.record(z.string(), z.string()).optional(),
  finops: z
    .strictObject({
      cost_center: str.optional(),
      business_tags: z.union([z.array(str), str]).optional(),
      project: str.optional(),
      environment: str.optional(),
    })
    .optional(),
  governance_overrides: z
    .strictObject({
      retention_days: z.number().int().min(0).optional(),
      owner: str.optional(),
    })
    .optional(),
  plugins: z
    .strictObject({
      sandbox: z
        .strictObject({
          enabled: z.boolean().optional(),
          cpu_limit: z.number().positive().optional(),
          memory_limit: z.union([str, z.number()]).optional(),
          network_disabled: z.boolean().optional(),
          timeout: z.number().positive().optional(),
        })
        .optional(),
    })
    .optional(),
});

export type JobFile = z.output<typeof jobSchema>;
export type SourceBlock = z.output<typeof sourceSchema>;
export type TargetBlock = z.output<typeof targetSchema>;
export const JOB_TOP_LEVEL_KEYS = Object.keys(jobSchema.shape);
