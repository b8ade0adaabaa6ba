/**
 * Postgres CDC throughput (not part of CI): a table of N rows is copied by a first run, then one
 * UPDATE of every row (an update burst of N change events) is applied to Iceberg by a second run;
 * prints change events/s of that run and the process's peak RSS as JSON.
 *
 *   npx tsx bench/cdc-postgres.ts [--rows 1000000] [--batch 100000]
 *
 * Needs the Postgres of scripts/services with wal_level=logical (this script starts or reuses
 * it). Goal (issue #25): ≥ 20k events/s. The bench drops its table, slot and publication.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import pg from 'pg';
import type { ResolvedJob } from '../host/config/types.js';
import { silentLogger } from '../host/observability/logger.js';
import { runPostgresCdc } from '../host/sources/postgres-cdc/run.js';
import { cdcNames, dropCdcObjects } from '../host/sources/postgres-cdc/slot.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function pgEnv(): Record<string, string> {
  execFileSync('bash', [path.join(REPO, 'scripts/services/start-postgres.sh')], { stdio: 'ignore' });
  return parse(
    readFileSync(path.join(process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run'), 'postgres.env')),
  );
}

function job(env: Record<string, string>, table: string, warehouse: string): ResolvedJob {
  return {
    name: `bench-${table}`,
    tenantId: 'bench',
    file: 'bench/cdc-postgres.ts',
    statePath: path.join(warehouse, 'state.json'),
    source: {
      type: 'postgres_cdc',
      engine: 'native',
      config: {
        table,
        connection: {
          host: env.PGHOST,
          port: env.PGPORT,
          database: env.PGDATABASE,
          user: env.PGUSER,
          password: env.PGPASSWORD,
        },
      },
      options: {},
      files: [],
      objects: [],
      credentials: {},
    },
    target: {
      type: 'iceberg',
      engine: 'native',
      config: { warehouse, namespace: 'bench', table },
      options: {},
      connection: {},
      fileFormat: 'parquet',
      partitioning: [],
      parquetTargetSizeMb: 128,
      compression: 'zstd',
      rowGroupSize: 100_000,
    },
    contract: { name: table, domain: 'bench', tags: [], fields: [] },
    locate: (keyPath: string) => ({ keyPath }),
  } as unknown as ResolvedJob;
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const batchChanges = Number(arg('batch', '100000'));
  const env = pgEnv();
  const admin = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
  });
  await admin.connect();
  const table = `cdc_bench_${process.pid}`;
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'dativo-cdc-bench-'));
  const j = job(env, table, warehouse);
  try {
    await admin.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, amount numeric(12,2), n int)`,
    );
    await admin.query(
      `INSERT INTO ${table} SELECT g, 'name-' || g, g * 0.01, 0 FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await runPostgresCdc(j, { logger: silentLogger() });
    await admin.query(`UPDATE ${table} SET n = n + 1, name = name || '!'`);
    const start = process.hrtime.bigint();
    const r = await runPostgresCdc(j, { logger: silentLogger(), batchChanges });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const out = {
      rows,
      events: r.changes,
      commits: r.commits,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(r.changes / seconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await dropCdcObjects(admin, cdcNames(j.tenantId, j.name)).catch(() => {});
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await admin.end();
    await rm(warehouse, { recursive: true, force: true });
  }
}

await main();
