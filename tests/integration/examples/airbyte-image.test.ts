/**
 * examples/airbyte-image as documented: dockerd from scripts/services, the test connector images
 * from scripts/build-test-connectors.sh, then `dativo run --config examples/airbyte-image/job.yaml`;
 * the Parquet read back by DuckDB; no container left behind; the key never printed.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../../helpers/cli.js';
import { duck } from '../../helpers/duckdb.js';
import { leftoverContainers, startDockerAndBuild, tempDir } from '../airbyte-setup.js';

const KEY = 'sk_test_example_airbyte_77';

beforeAll(() => startDockerAndBuild());

describe('examples/airbyte-image', () => {
  it('runs the Stripe test image into Parquet typed by the example contract', async () => {
    const dir = tempDir('dativo-example-airbyte-');
    const out = path.join(dir, 'out');
    const r = await runCli(
      [
        'run',
        '--config',
        'examples/airbyte-image/job.yaml',
        '--state-dir',
        path.join(dir, 'state'),
        '--json',
      ],
      { env: { STRIPE_API_KEY: KEY, OUT_DIR: out }, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.source.engine).toBe('airbyte');
    expect(report.rows.written).toBe(12);
    const [agg] = await duck<{ n: bigint; d: bigint; first: string; created_t: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS first, any_value(typeof(created)) AS created_t
       FROM read_parquet('${out}/**/*.parquet')`,
    );
    expect([Number(agg?.n), Number(agg?.d), agg?.first, agg?.created_t]).toEqual([
      12,
      12,
      'cus_0001',
      expect.stringMatching(/^TIMESTAMP/),
    ]);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(leftoverContainers('stripe_customers')).toEqual([]);
  });
});
