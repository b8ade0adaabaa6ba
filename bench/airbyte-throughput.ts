/**
 * Airbyte path throughput: `dativo run` reading N synthetic records from the Stripe-like test
 * connector (mode "bench", busybox awk) into Parquet, against the same image, same hardened
 * container and same `read` invocation writing its stdout to /dev/null, in the same invocation of
 * this script. A third run streams the container's stdout to the host the way `dativo run` does (the
 * stdout FIFO, see host/engines/docker/stdout-fifo.ts) and only splits it into lines (no JSON, no
 * Arrow), which separates the transport from our records → Arrow → Parquet cost.
 * Best of N runs each; prints records/s, the ratio (goal ≥ 0.8) and peak RSS. Not part of CI.
 *
 *   npx tsx bench/airbyte-throughput.ts [--records 1000000] [--runs 3]
 *
 * Needs a Docker engine (scripts/services/start-docker.sh), the test images
 * (scripts/build-test-connectors.sh) and a built CLI (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConfigDir, runContainer, splitLines } from '../host/engines/docker/index.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = 'dativo-test/airbyte-stripe:local';
const CONTRACT = path.join(REPO, 'tests/fixtures/connectors/airbyte-jobs/contracts/stripe_customers.yaml');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const RECORDS = Number(arg('records', '1000000'));
const RUNS = Number(arg('runs', '3'));

interface Sample {
  ms: number;
  peakRssMb?: number;
  rows: number;
}

const CATALOG = {
  streams: [
    {
      stream: { name: 'customers', json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'append',
    },
  ],
};
const CONFIG = { api_key: 'sk_test_bench', mode: 'bench', bench_records: RECORDS };

/** The connector's `read` in the same hardened container dativo uses; stdout to /dev/null or drained by us. */
async function container(sink: 'devnull' | 'drain'): Promise<Sample> {
  const dir = await createConfigDir();
  try {
    await dir.write('config.json', CONFIG);
    await dir.write('catalog.json', CATALOG);
    const args = ['read', '--config', '/config/config.json', '--catalog', '/config/catalog.json'];
    const t0 = performance.now();
    const c = await runContainer({
      image: IMAGE,
      args,
      network: 'none',
      configDir: dir.dir,
      configMount: '/config',
      ...(sink === 'devnull'
        ? { entrypoint: ['/bin/sh', '-c', 'exec /bin/sh /connector/main.sh "$@" >/dev/null', 'main'] }
        : {}),
    });
    let rows = 0;
    for await (const l of splitLines(c.stdout)) if (l.text.startsWith('{"type":"RECORD"')) rows++;
    const status = await c.wait();
    const ms = performance.now() - t0;
    await c.remove();
    if (status.exitCode !== 0) throw new Error(`container exited ${status.exitCode}: ${c.stderrTail()}`);
    return { ms, rows: sink === 'devnull' ? RECORDS : rows };
  } finally {
    await dir.dispose();
  }
}

async function dativo(): Promise<Sample> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-bench-airbyte-'));
  try {
    const job = path.join(tmp, 'job.yaml');
    await writeFile(
      job,
      [
        'tenant_id: bench',
        'source_connector: stripe',
        'source_connector_path: connectors/stripe.yaml',
        'target_connector: local',
        'target_connector_path: connectors/local.yaml',
        `asset_path: ${CONTRACT}`,
        'source:',
        '  objects: [customers]',
        '  engine:',
        '    options:',
        '      airbyte:',
        `        docker_image: ${IMAGE}`,
        `        config: {mode: bench, bench_records: ${RECORDS}}`,
        'target:',
        `  connection: {path: ${path.join(tmp, 'out')}}`,
        'schema_validation_mode: warn',
        '',
      ].join('\n'),
    );
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['bin/dativo.js', 'run', '--config', job, '--json'], {
      cwd: REPO,
      env: { ...process.env, STRIPE_API_KEY: 'sk_test_bench', STATE_DIR: path.join(tmp, 'state') },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const ms = performance.now() - t0;
    const report = JSON.parse(r.stdout);
    if (report.exitCode === 2) throw new Error(`dativo run failed: ${r.stdout}\n${r.stderr.slice(-2000)}`);
    return { ms, peakRssMb: report.resources?.peakRssMb, rows: report.rows.written };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function best(samples: Sample[]): Sample {
  return samples.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const rate = (s: Sample): number => Math.round((s.rows / s.ms) * 1000);

async function main(): Promise<void> {
  const load = os.loadavg().map((l) => l.toFixed(2));
  process.stdout.write(
    `airbyte throughput: ${RECORDS} records, best of ${RUNS}; ${os.cpus().length} cores, load average ${load.join(' ')}\n`,
  );
  const ref: Sample[] = [];
  const drain: Sample[] = [];
  const ours: Sample[] = [];
  // Interleaved, so a change in the machine's load hits all three alike.
  for (let i = 0; i < RUNS; i++) {
    ref.push(await container('devnull'));
    drain.push(await container('drain'));
    ours.push(await dativo());
  }
  const [r, d, o] = [best(ref), best(drain), best(ours)];
  if (o.rows !== RECORDS || d.rows !== RECORDS) {
    throw new Error(`row counts differ: dativo ${o.rows}, drain ${d.rows}, expected ${RECORDS}`);
  }
  const line = (name: string, s: Sample) =>
    `${name.padEnd(34)} ${(s.ms / 1000).toFixed(2).padStart(7)} s ${String(rate(s)).padStart(9)} rec/s` +
    (s.peakRssMb ? `   peak RSS ${s.peakRssMb} MB` : '');
  process.stdout.write(`${line('container → /dev/null', r)}\n`);
  process.stdout.write(`${line('container → host, lines only', d)}\n`);
  process.stdout.write(`${line('dativo run → Parquet (snappy, the default)', o)}\n`);
  process.stdout.write(
    `ratio dativo / devnull: ${(rate(o) / rate(r)).toFixed(2)} (goal ≥ 0.80); lines-only / devnull: ${(rate(d) / rate(r)).toFixed(2)}\n`,
  );
  process.stdout.write(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
}

await main();
