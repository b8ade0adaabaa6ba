/**
 * What the config layer hands to the rest of the host: a job with its recipes merged, variables
 * interpolated, paths resolved and its contract loaded. Nothing downstream reads YAML.
 */

import type { Contract } from '../contract/model.js';
import type { Location } from '../errors.js';

export type ValidationMode = 'strict' | 'warn';
export type Compression = 'zstd' | 'snappy' | 'gzip' | 'none';

export interface RetryConfig {
  maxRetries: number;
  initialDelaySeconds: number;
  maxDelaySeconds: number;
  backoffMultiplier: number;
  retryableExitCodes: number[];
  retryableErrorPatterns: string[];
}

export interface SandboxLimits {
  enabled?: boolean;
  cpuLimit?: number;
  memoryLimit?: string;
  networkDisabled?: boolean;
  timeout?: number;
}

/**
 * A plugin named by the job (`source.plugin` / `target.plugin`) and what the job allows it. The
 * grant is this ∩ the manifest's request, with `sandbox` (the original's limits) as an upper bound.
 */
export interface PluginRef {
  /** Absolute path of a plugin file or folder; exactly one of path and name is set. */
  path?: string;
  /** An installed plugin's name. */
  name?: string;
  allow: {
    hosts: string[];
    secrets: string[];
    memoryMb?: number;
    timeoutMs?: number;
    outputMb?: number;
    logMb?: number;
    /** Environment variable names the plugin's config may reference. */
    env?: string[];
    /** Upper bounds for the manifest's HTTP policy (snake_case, as in the job file). */
    http?: {
      methods?: string[];
      max_response_mb?: number;
      request_timeout_ms?: number;
      max_retries?: number;
      initial_delay_ms?: number;
      max_delay_ms?: number;
      max_redirects?: number;
      rate_per_second?: number;
    };
  };
}

export interface Incremental {
  strategy: string;
  cursorField?: string | null;
  lookbackDays: number;
  statePath?: string;
}

export interface InputFile {
  /** Absolute path (or glob, expanded by the source). */
  path: string;
  object?: string;
  id?: string;
}

export interface ResolvedSource {
  type: string;
  /** Chosen per architecture §7: engine_override / engine.type, recipe default_engine, registry default. */
  engine: string;
  /** True when the job named the engine itself (`engine_override` or `engine.type`). */
  engineExplicit?: boolean;
  /** The merged, interpolated `source` block (job over recipe, deep). */
  config: Record<string, unknown>;
  /**
   * Engine options, flattened: recipe `default_engine.options.<engine>`, then job
   * `engine.options.<engine>`, then the job's plain `engine.options` keys (later wins).
   */
  options: Record<string, unknown>;
  files: InputFile[];
  objects: string[];
  /** Effective incremental settings (job map over recipe defaults); undefined when the recipe has none. */
  incremental?: Incremental;
  /** Credentials resolved from the secret manager / env; values are registered with the masker. */
  credentials: Record<string, string>;
  customReader?: string;
  plugin?: PluginRef;
}

export interface ResolvedTarget {
  type: string;
  engine: string;
  config: Record<string, unknown>;
  options: Record<string, unknown>;
  /** Merged connection (recipe connection_template under the job's connection). */
  connection: Record<string, unknown>;
  fileFormat: string;
  partitioning: string[];
  parquetTargetSizeMb: number;
  compression: Compression;
  rowGroupSize: number;
  customWriter?: string;
  plugin?: PluginRef;
}

export interface ResolvedJob {
  /** Absolute path of the job file. */
  file: string;
  /** The job's name: the file name without extension. */
  name: string;
  tenantId: string;
  environment?: string;
  validationMode: ValidationMode;
  source: ResolvedSource;
  target: ResolvedTarget;
  contract: Contract;
  /** Job-level tag inputs (spec §6). Keys lower-cased where the spec says so. */
  classificationOverrides: Record<string, string>;
  finops?: { costCenter?: string; businessTags: string[]; project?: string; environment?: string };
  governanceOverrides?: { retentionDays?: number; owner?: string };
  retry: RetryConfig;
  logging: { level: string; redaction: boolean };
  sandbox?: SandboxLimits;
  /**
   * Every `${secret:…}` and environment reference interpolated into the config, by key path: a
   * plugin's config may use only those its grant allows (host/plugins/config-grant.ts).
   */
  references?: { keyPath: (string | number)[]; kind: 'secret' | 'env'; name: string }[];
  /** The top-level `catalog` block (lineage push), interpolated. */
  catalog?: Record<string, unknown>;
  /** Absolute path of the job's state file (original default layout). */
  statePath: string;
  /** Position of a key path (e.g. `source.files[0].path`) in the file that set it. */
  locate(keyPath: string): Location;
}
