/**
 * The original's runner format (`configs/runner.yaml`), with or without its `runner:` wrapper:
 *
 *   mode: orchestrated
 *   orchestrator:
 *     type: dagster                    # accepted for compatibility; the scheduler is built in
 *     concurrency_per_tenant: 1
 *     max_concurrent_runs: 4           # ours: runs executing at once, all tenants
 *     shutdown_grace_seconds: 30       # ours
 *     schedules:
 *       - { name, config, cron | interval_seconds, enabled, timezone, max_concurrent_runs, tags }
 *   api: { enabled, host, port, token_secret, secret_scope }   # ours
 *   queue / metrics / tracing: {...}   # ours, read by the worker and observability modules
 *   notifications: { webhooks, stale_after_intervals, ... }   # ours: notifications-section.ts
 *
 * `${VAR}` and `${VAR:-default}` expand in every string. Every problem is reported at once with
 * file:line:column.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import { interpolateTree } from '../config/interpolate.js';
import { parseWithPositions } from '../config/issues.js';
import { resolvePath } from '../config/paths.js';
import { type KeyPath, loadYamlFile, type YamlSource } from '../config/yaml-source.js';
import { DativoError, DativoErrors } from '../errors.js';
import {
  type NotificationsSection,
  notificationsSchema,
  notificationsSection,
} from './notifications-section.js';

export interface ScheduleDef {
  name: string;
  /** Absolute path of the job file. */
  jobFile: string;
  cron?: string;
  intervalSeconds?: number;
  enabled: boolean;
  timezone: string;
  /** Runs of this schedule that may be active (waiting, running or between retries) at once. */
  maxConcurrentRuns: number;
  tags: Record<string, string>;
}

export interface ApiConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Name of the secret holding the bearer token. */
  tokenSecret: string;
  /** The tenant scope the secret manager loads the token from. */
  secretScope: string;
}

export interface RunnerConfig {
  file: string;
  mode: 'orchestrated' | 'oneshot';
  orchestratorType: string;
  concurrencyPerTenant?: number;
  maxConcurrentRuns?: number;
  shutdownGraceSeconds: number;
  schedules: ScheduleDef[];
  api: ApiConfig;
  /** Raw sections other modules parse (BullMQ queue, metrics, tracing). */
  queue?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  tracing?: Record<string, unknown>;
  /** Webhooks for failed/succeeded runs and stale schedules. */
  notifications?: NotificationsSection;
  /** Position of a key path inside the runner file (for errors found after loading). */
  locate: YamlSource['locate'];
}

const str = z.string().min(1);
const tagValue = z.union([z.string(), z.number(), z.boolean()]);

const scheduleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  config: str,
  cron: str.optional(),
  interval_seconds: z.number().int().min(1).optional(),
  enabled: z.boolean().optional(),
  timezone: str.optional(),
  max_concurrent_runs: z.number().int().min(1).optional(),
  tags: z.record(z.string(), tagValue).optional(),
});

const apiSchema = z.strictObject({
  enabled: z.boolean().optional(),
  host: str.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  token_secret: str.optional(),
  secret_scope: str.optional(),
});

const section = z.record(z.string(), z.unknown());

const runnerSchema = z.strictObject({
  mode: z.enum(['orchestrated', 'oneshot']).optional(),
  orchestrator: z.strictObject({
    type: str.optional(),
    concurrency_per_tenant: z.number().int().min(1).optional(),
    max_concurrent_runs: z.number().int().min(1).optional(),
    shutdown_grace_seconds: z.number().min(0).optional(),
    schedules: z.array(scheduleSchema),
  }),
  api: apiSchema.optional(),
  queue: section.optional(),
  metrics: section.optional(),
  tracing: section.optional(),
  notifications: notificationsSchema.optional(),
});

type RunnerFile = z.output<typeof runnerSchema>;

export const DEFAULT_API_PORT = 8080;

export interface LoadRunnerOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Report enabled schedules whose job file is missing (default true; false to inspect a config). */
  requireJobFiles?: boolean;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export async function loadRunnerConfig(file: string, opts: LoadRunnerOptions = {}): Promise<RunnerConfig> {
  const cwd = opts.cwd ?? process.cwd();
  const src = await loadYamlFile(path.resolve(cwd, file));
  const doc = src.data;
  // The shipped file nests everything under `runner:`; the documented form does not.
  const wrapped =
    doc !== null &&
    typeof doc === 'object' &&
    !Array.isArray(doc) &&
    'runner' in doc &&
    Object.keys(doc).length === 1;
  const prefix: KeyPath = wrapped ? ['runner'] : [];
  const raw = wrapped ? (doc as { runner: unknown }).runner : doc;

  const errors: DativoError[] = [];
  const expanded = interpolateTree(
    raw,
    prefix,
    { env: opts.env ?? process.env, locate: (p) => src.locate(p) },
    errors,
  );
  throwAll(errors);
  const parsed: RunnerFile = parseWithPositions(runnerSchema, expanded, src, {
    prefix,
    what: 'a runner config',
    knownKeys: ['mode', 'orchestrator', 'api', 'queue', 'metrics', 'tracing', 'notifications'],
  });

  const at = (...p: KeyPath) => src.locate([...prefix, ...p]);
  const base = { cwd, jobDir: path.dirname(src.file) };
  const seen = new Map<string, number>();
  const schedules: ScheduleDef[] = parsed.orchestrator.schedules.map((s, i) => {
    const here = (key: string) => at('orchestrator', 'schedules', i, key);
    if (seen.has(s.name)) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `schedule name "${s.name}" is used twice (also schedule ${seen.get(s.name)})`,
          {
            location: here('name'),
          },
        ),
      );
    }
    seen.set(s.name, i);
    if ((s.cron === undefined) === (s.interval_seconds === undefined)) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `schedule "${s.name}" needs exactly one of "cron" or "interval_seconds"`,
          {
            location: at('orchestrator', 'schedules', i),
          },
        ),
      );
    }
    const timezone = s.timezone ?? 'UTC';
    if (!isTimeZone(timezone)) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `unknown time zone "${timezone}" (use an IANA name such as "Europe/Berlin")`,
          {
            location: here('timezone'),
          },
        ),
      );
    } else if (s.cron !== undefined) {
      const problem = cronProblem(s.cron, timezone);
      if (problem) {
        errors.push(
          new DativoError('CONFIG_INVALID', `invalid cron expression "${s.cron}": ${problem}`, {
            location: here('cron'),
          }),
        );
      }
    }
    const jobFile = resolvePath(s.config, base);
    const enabled = s.enabled ?? true;
    // A disabled schedule may point at a job that is not deployed here.
    if (enabled && opts.requireJobFiles !== false && !existsSync(jobFile)) {
      errors.push(
        new DativoError('CONFIG_NOT_FOUND', `job file of schedule "${s.name}" not found: ${jobFile}`, {
          location: here('config'),
        }),
      );
    }
    return {
      name: s.name,
      jobFile,
      ...(s.cron !== undefined ? { cron: s.cron } : {}),
      ...(s.interval_seconds !== undefined ? { intervalSeconds: s.interval_seconds } : {}),
      enabled,
      timezone,
      maxConcurrentRuns: s.max_concurrent_runs ?? 1,
      tags: Object.fromEntries(Object.entries(s.tags ?? {}).map(([k, v]) => [k, String(v)])),
    };
  });
  const notifications = parsed.notifications
    ? notificationsSection(parsed.notifications, (p) => at(...p), errors)
    : undefined;
  throwAll(errors);

  const o = parsed.orchestrator;
  return {
    file: src.file,
    mode: parsed.mode ?? 'orchestrated',
    orchestratorType: o.type ?? 'embedded',
    ...(o.concurrency_per_tenant !== undefined ? { concurrencyPerTenant: o.concurrency_per_tenant } : {}),
    ...(o.max_concurrent_runs !== undefined ? { maxConcurrentRuns: o.max_concurrent_runs } : {}),
    shutdownGraceSeconds: o.shutdown_grace_seconds ?? 30,
    schedules,
    api: {
      enabled: parsed.api?.enabled ?? true,
      host: parsed.api?.host ?? '127.0.0.1',
      port: parsed.api?.port ?? DEFAULT_API_PORT,
      tokenSecret: parsed.api?.token_secret ?? 'orchestrator_api_token',
      secretScope: parsed.api?.secret_scope ?? 'orchestrator',
    },
    ...(parsed.queue ? { queue: parsed.queue } : {}),
    ...(parsed.metrics ? { metrics: parsed.metrics } : {}),
    ...(parsed.tracing ? { tracing: parsed.tracing } : {}),
    ...(notifications ? { notifications } : {}),
    locate: (p) =>
      src.locate(
        typeof p === 'string' ? `${prefix.join('.')}${prefix.length ? '.' : ''}${p}` : [...prefix, ...p],
      ),
  };
}

function throwAll(errors: DativoError[]): void {
  if (errors.length === 1 && errors[0]) throw errors[0];
  if (errors.length > 1) {
    const sorted = [...errors].sort(
      (a, b) =>
        (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
        (a.location?.column ?? 0) - (b.location?.column ?? 0),
    );
    throw new DativoErrors(sorted);
  }
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Croner's complaint about a pattern, or undefined when it is fine. */
function cronProblem(pattern: string, timezone: string): string | undefined {
  try {
    new Cron(pattern, { timezone });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
