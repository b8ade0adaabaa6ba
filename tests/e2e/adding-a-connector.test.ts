/**
 * The "Adding a connector" walkthrough of docs/architecture.md, followed literally: a copy of the
 * repository (its tracked files, node_modules linked), the documented diff applied with `git apply`
 * (one new folder, one table row, its registry entry and recipe), the project built, and a job run
 * through the new adapter by the built CLI. DuckDB reads the committed Parquet back.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';

const ROWS = 2500;
let copy: string;

/** The first ```diff block of the walkthrough section. */
function walkthroughDiff(markdown: string): string {
  const section = markdown.slice(markdown.indexOf('### Adding a connector'));
  const m = /```diff\n([\s\S]*?)```/.exec(section);
  if (!m?.[1]) throw new Error('docs/architecture.md: no ```diff block under "### Adding a connector"');
  return m[1];
}

beforeAll(async () => {
  copy = await mkdtemp(path.join(os.tmpdir(), 'dativo-walkthrough-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0');
  for (const f of files.filter(Boolean)) {
    await mkdir(path.dirname(path.join(copy, f)), { recursive: true });
    await cp(path.join(REPO, f), path.join(copy, f)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // deleted in the work tree, not yet committed
    });
  }
  await symlink(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
}, 300_000);
afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe('the "Adding a connector" walkthrough', () => {
  it('one folder and one row (plus its registry entry and recipe), built, runs a job through the new adapter', async () => {
    const diff = walkthroughDiff(await readFile(path.join(copy, 'docs/architecture.md'), 'utf8'));
    const touched = [...diff.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]);
    expect(touched.sort()).toEqual([
      'host/connectors/sources.ts',
      'host/sources/sequence/index.ts',
      'recipes/sequence.yaml',
      'registry/connectors.yaml',
    ]);
    await writeFile(path.join(copy, 'walkthrough.diff'), diff);
    execFileSync('git', ['apply', '--verbose', 'walkthrough.diff'], { cwd: copy, stdio: 'pipe' });
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: copy,
      stdio: 'pipe',
    });

    const jobDir = path.join(copy, 'smoke');
    await mkdir(jobDir);
    await writeFile(
      path.join(jobDir, 'ids.yaml'),
      'name: ids\nversion: "1.0"\nschema:\n  - name: id\n    type: integer\n    required: true\n',
    );
    await writeFile(
      path.join(jobDir, 'job.yaml'),
      [
        'tenant_id: acme',
        'source_connector_path: connectors/sequence.yaml',
        'target_connector_path: connectors/local.yaml',
        'asset_path: ids.yaml',
        `source: { count: ${ROWS} }`,
        'target: { connection: { path: out } }',
        '',
      ].join('\n'),
    );
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [path.join(copy, 'bin/dativo.js'), ...args], {
        cwd: jobDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'], // a failure's stderr is in the thrown error
        env: { ...process.env, NO_COLOR: '1' },
      });
    const report = JSON.parse(cli('run', '--config', 'job.yaml', '--state-dir', 'state', '--json'));
    expect(report.status).toBe('succeeded');
    expect(report.rows.written).toBe(ROWS);

    const [got] = await duck<{ n: bigint; lo: bigint; hi: bigint; total: bigint; type: string }>(
      `SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, sum(id) AS total, typeof(any_value(id)) AS type
       FROM read_parquet('${jobDir}/out/**/*.parquet')`,
    );
    expect(got).toEqual({
      n: BigInt(ROWS),
      lo: 1n,
      hi: BigInt(ROWS),
      total: BigInt((ROWS * (ROWS + 1)) / 2),
      type: 'BIGINT',
    });
    // Building the copy takes minutes on a busy machine.
  }, 900_000);
});
