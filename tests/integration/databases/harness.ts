/**
 * Shared setup of the database source tests: the throwaway servers (scripts/services), job files
 * loaded with their env, runs through the real pipeline, and DuckDB reads of what became visible.
 * The test files mock connectors.ts to route postgres/mysql to the factories (route.ts), so they
 * do not depend on the integrator's wiring.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import { loadJob } from '../../../host/config/index.js';
import type { ResolvedJob } from '../../../host/config/types.js';
import { silentLogger } from '../../../host/observability/logger.js';
import { runJob } from '../../../host/pipeline/run-job.js';
import { duck } from '../../helpers/duckdb.js';

export { hooks, routedSource } from './route.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const RUN_DIR = process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run');

/** Starts (or finds running) a throwaway server and returns its env file. */
export function startService(name: 'postgres' | 'mariadb'): Record<string, string> {
  execFileSync('bash', [path.join(REPO, 'scripts/services', `start-${name}.sh`)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  return parse(execFileSync('cat', [path.join(RUN_DIR, `${name}.env`)]));
}

export interface JobRun {
  job: ResolvedJob;
  report: Awaited<ReturnType<typeof runJob>>;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `dativo-db-${prefix}-`));
}

export async function runDbJob(
  file: string,
  env: Record<string, string>,
  stateDir: string,
  signal: AbortSignal = new AbortController().signal,
): Promise<JobRun> {
  const job = await loadJob(`tests/fixtures/jobs/${file}`, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stateDir,
  });
  const report = await runJob(job, { logger: silentLogger(), signal });
  return { job, report };
}

export async function readState(job: ResolvedJob): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(job.statePath, 'utf8')) as Record<string, unknown>;
}

export const parquet = (dir: string) => `read_parquet('${dir}/**/*.parquet')`;

/** Column name → DuckDB type of the visible Parquet. */
export async function parquetTypes(dir: string): Promise<Record<string, string>> {
  const rows = await duck<{ column_name: string; column_type: string }>(
    `DESCRIBE SELECT * FROM ${parquet(dir)}`,
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
}

/** `id|epoch_us(updated_at)` of every visible row (duplicates kept). */
export async function visibleVersions(dir: string): Promise<string[]> {
  const rows = await duck<{ v: string }>(
    `SELECT id::VARCHAR || '|' || epoch_us(updated_at)::VARCHAR AS v FROM ${parquet(dir)}`,
  );
  return rows.map((r) => r.v);
}
