/**
 * Postgres → Parquet throughput of `dativo run` (the CLI from dist/, a whole process: start-up,
 * binary COPY → Arrow, strict contract validation, Parquet in snappy (the default) and in zstd, local
 * commit) next to `psql -c "\copy (...) to stdout"` on the same table in the same invocation, each a whole process
 * timed from outside (wall time; peak RSS from /usr/bin/time), plus the two ways the source could
 * read (binary COPY vs DECLARE CURSOR + FETCH) on their own, in-process. Not part of CI.
 *
 *   npm run build && npx tsx bench/postgres-to-parquet.ts [rows=1000000] [runs=3]
 *
 * The table (`bench.events_<rows>`) is generated server-side once and reused. Each command runs
 * `runs` times, the best run is shown.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import pg from 'pg';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RUN_DIR = process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run');
const child = process.argv.find((a) => a.startsWith('--child='))?.slice(8);
const numbers = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
const rows = Number(numbers[0] ?? 1_000_000);
const runs = Number(numbers[1] ?? 3);
/** The default codec and the smaller, slower one. */
const CODECS = ['snappy', 'zstd'];
const table = `bench.events_${rows}`;

function pgEnv(): Record<string, string> {
  execFileSync('bash', [path.join(REPO, 'scripts/services/start-postgres.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return parse(readFileSync(path.join(RUN_DIR, 'postgres.env')));
}

const CONTRACT = `apiVersion: v3.0.2
kind: DataContract
id: 1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
name: bench_events
version: "1.0"
status: active
object: events
team: { owner: bench@example.com }
schema:
  - { name: id, type: bigint, required: true }
  - { name: account, type: integer, required: true }
  - { name: amount, type: "decimal(12,2)", required: true }
  - { name: ratio, type: double }
  - { name: active, type: boolean, required: true }
  - { name: event_date, type: date, required: true }
  - { name: created_at, type: timestamp, required: true }
  - { name: seen_at, type: timestamp }
  - { name: label, type: string }
  - { name: payload, type: string }
`;

function jobYaml(dir: string, compression: string): string {
  return `tenant_id: bench
source_connector_path: connectors/postgres.yaml
target_connector_path: connectors/local.yaml
asset_path: ${dir}/contract.yaml
source:
  engine_override: native
  tables: [{ name: ${table}, object: events }]
  connection: { host: "\${PGHOST}", port: "\${PGPORT}", database: "\${PGDATABASE}", user: "\${PGUSER}" }
  credentials: { password: "\${PGPASSWORD}" }
target:
  compression: ${compression}
  connection: { path: "${dir}/out" }
schema_validation_mode: strict
`;
}

async function runChild(mode: string): Promise<void> {
  const env = parse(readFileSync(path.join(RUN_DIR, 'postgres.env')));
  const t0 = performance.now();
  let n = 0;
  if (mode === 'source-copy') {
    const { createPostgresSource } = await import('../host/sources/postgres/index.js');
    const { silentLogger } = await import('../host/observability/logger.js');
    const source = createPostgresSource(
      {
        type: 'postgres',
        engine: 'native',
        config: {
          tables: [{ name: table }],
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
      { batchSize: 65_536 },
    );
    await source.open({
      state: {},
      logger: silentLogger(),
      signal: new AbortController().signal,
      batchSize: 65_536,
    });
    for await (const b of source.read()) n += b.batch.numRows;
    await source.close();
  } else if (mode === 'source-fetch') {
    // The alternative: a server-side cursor, FETCH 10 000 rows at a time, pg's own row parsing
    // (no Arrow building at all, so this is an upper bound for that design).
    const c = new pg.Client({
      host: env.PGHOST,
      port: Number(env.PGPORT),
      database: env.PGDATABASE,
      user: env.PGUSER,
      password: env.PGPASSWORD,
    });
    await c.connect();
    await c.query('BEGIN');
    await c.query(`DECLARE cur NO SCROLL CURSOR FOR SELECT * FROM ${table}`);
    for (;;) {
      const r = await c.query({ text: 'FETCH 10000 FROM cur', rowMode: 'array' });
      if (r.rows.length === 0) break;
      n += r.rows.length;
    }
    await c.query('COMMIT');
    await c.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ rows: n, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

interface Result {
  rows: number;
  seconds: number;
  peakRssMb: number;
}

/** The best of `runs` runs of `once` (`before` resets what a run leaves behind, untimed). */
function best(once: () => Result, before: () => void = () => {}): Result {
  let top: Result | undefined;
  for (let i = 0; i < runs; i++) {
    before();
    const r = once();
    if (!top || r.seconds < top.seconds) top = r;
  }
  return top as Result;
}

function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Result {
  // /usr/bin/time -f gives the child's peak RSS (kB) on stderr's last line.
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const inner = last.startsWith('{') ? (JSON.parse(last) as Result) : undefined;
  return { rows: inner?.rows ?? rows, seconds: inner?.seconds ?? seconds, peakRssMb: kb / 1024 };
}

async function main(): Promise<void> {
  const env = pgEnv();
  const c = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    database: env.PGDATABASE,
    user: env.PGUSER,
    password: env.PGPASSWORD,
  });
  await c.connect();
  await c.query('CREATE SCHEMA IF NOT EXISTS bench');
  const exists = await c.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [table]);
  if (!exists.rows[0].ok) {
    console.log(`generating ${rows} rows in ${table} ...`);
    await c.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,
      ratio float8, active boolean NOT NULL, event_date date NOT NULL, created_at timestamp(6) NOT NULL,
      seen_at timestamptz, label text, payload jsonb)`);
    await c.query(`INSERT INTO ${table} SELECT g, g % 1000, (g % 100000)::numeric / 100 + 0.01,
      CASE WHEN g % 10 = 0 THEN NULL ELSE g / 7.0 END, g % 2 = 0, date '2020-01-01' + (g % 1500)::int,
      timestamp '2024-01-01' + g * interval '1001 microseconds',
      CASE WHEN g % 5 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+02' + g * interval '1 second' END,
      'label-' || g, jsonb_build_object('g', g) FROM generate_series(1, ${rows}) g`);
    await c.query(`VACUUM ANALYZE ${table}`);
  }
  await c.end();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-pgbench-'));
  writeFileSync(path.join(dir, 'contract.yaml'), CONTRACT);
  for (const codec of CODECS) writeFileSync(path.join(dir, `job-${codec}.yaml`), jobYaml(dir, codec));
  const self = fileURLToPath(import.meta.url);
  const tsx = path.join(REPO, 'node_modules/.bin/tsx');
  const psqlEnv = { ...process.env, ...env };
  const freshTarget = () => {
    for (const d of ['out', 'state']) rmSync(path.join(dir, d), { recursive: true, force: true });
    mkdirSync(path.join(dir, 'out'));
  };
  try {
    // Warm the table into shared buffers / page cache once, so order does not favour anyone.
    measure('psql', ['-X', '-q', '-c', `\\copy (SELECT * FROM ${table}) to '/dev/null'`], psqlEnv);
    const results: [string, Result][] = [
      [
        'psql \\copy (text) to stdout',
        best(() =>
          measure(
            'bash',
            ['-c', `psql -X -q -c "\\copy (SELECT * FROM ${table}) to stdout" > /dev/null`],
            psqlEnv,
          ),
        ),
      ],
      [
        'source only: binary COPY → Arrow (in-process)',
        best(() => measure(tsx, [self, String(rows), '--child=source-copy'])),
      ],
      [
        'source only: DECLARE CURSOR + FETCH 10k (pg rows, no Arrow)',
        measure(tsx, [self, String(rows), '--child=source-fetch']),
      ],
      ...CODECS.map((codec): [string, Result] => [
        `dativo run: COPY → validate → Parquet ${codec}${codec === 'snappy' ? ' (default)' : ''} → commit`,
        best(
          () =>
            measure(
              process.execPath,
              [path.join(REPO, 'bin/dativo.js'), 'run', '--config', path.join(dir, `job-${codec}.yaml`)],
              { ...psqlEnv, STATE_DIR: path.join(dir, 'state') },
            ),
          freshTarget,
        ),
      ]),
    ];
    const ref = results[0]?.[1] as Result;
    console.log(
      `\n${rows} rows, table ${table}, best of ${runs}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    for (const [name, r] of results) {
      const rate = r.rows / r.seconds;
      console.log(
        `${name.padEnd(62)} ${r.seconds.toFixed(2).padStart(6)} s  ${Math.round(rate).toLocaleString('en').padStart(10)} rows/s  ` +
          `peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MB  ${(ref.seconds / r.seconds).toFixed(2)}× of psql`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (child) await runChild(child);
else await main();
