/** The CLI surface: help, validate over the original configs and a bad-config corpus, --job-dir, secrets. */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-cli-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const ORIGINAL = path.join(REPO, 'tests/fixtures/original-configs');
const ORIGINAL_ENV = {
  S3_ENDPOINT: 'http://127.0.0.1:7480',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example-secret-key',
  AWS_REGION: 'us-east-1',
  MINIO_ENDPOINT: '127.0.0.1:7480',
  MINIO_ACCESS_KEY: 'minio-access',
  MINIO_SECRET_KEY: 'minio-secret-key',
  S3_BUCKET: 'test-bucket',
  MINIO_BUCKET: 'test-bucket',
};

describe('help', () => {
  for (const cmd of ['run', 'validate', 'check', 'discover']) {
    it(`${cmd} --help shows an example`, async () => {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Example');
      expect(r.stdout).toContain('--config');
    });
  }
  it('no arguments to run is a usage error with exit 2', async () => {
    const r = await runCli(['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config');
  });
});

describe('validate: the original system’s job files load unchanged', () => {
  const jobs = [
    'csv_product_to_minio',
    'adventureworks_person_to_iceberg',
    'csv_malformed_data',
    'stripe_customers_to_iceberg',
    'smoke_test_2_csv_employee_python_reader',
    'csv_employee_state_persistence',
    'csv_person_to_s3',
  ];
  for (const job of jobs) {
    it(`${job}.yaml validates`, async () => {
      const r = await runCli(['validate', '--config', `tests/fixtures/jobs/${job}.yaml`], {
        cwd: ORIGINAL,
        env: ORIGINAL_ENV,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('valid');
    });
  }
  it('postgres_person_to_iceberg_markdown_kv.yaml: its contract is not shipped → file not found naming asset_path', async () => {
    const r = await runCli(
      ['validate', '--config', 'tests/fixtures/jobs/postgres_person_to_iceberg_markdown_kv.yaml'],
      {
        cwd: ORIGINAL,
        env: ORIGINAL_ENV,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_NOT_FOUND');
    expect(r.stderr).toContain('asset_path');
    expect(r.stderr).toMatch(/postgres_person_to_iceberg_markdown_kv\.yaml:\d+:\d+/);
  });
  it('validate reports an unset variable by key', async () => {
    const r = await runCli(['validate', '--config', 'tests/fixtures/jobs/csv_person_to_s3.yaml'], {
      cwd: ORIGINAL,
      env: { ...ORIGINAL_ENV, S3_ENDPOINT: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('S3_ENDPOINT');
    expect(r.stderr).toContain('target.connection.endpoint');
  });
  it('validate checks every stream of a multi-stream job, naming the stream whose contract is missing', async () => {
    const dir = path.join(REPO, 'tests/fixtures/connectors/airbyte-jobs');
    const env = { OUT_DIR: path.join(tmp, 'streams-out') };
    const good = await runCli(['validate', '--config', path.join(dir, 'stripe_multi.yaml')], { env });
    expect(good.code).toBe(0);
    expect(good.stderr).toContain('contracts stripe_customers v1.0, stripe_charges v1.0');

    const text = await readFile(path.join(dir, 'stripe_multi.yaml'), 'utf8');
    const bad = path.join(dir, `.multi-missing-${process.pid}.yaml`);
    await writeFile(bad, text.replace('contracts/stripe_charges.yaml', 'contracts/missing.yaml'));
    try {
      const r = await runCli(['validate', '--config', bad], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('CONFIG_NOT_FOUND');
      expect(r.stderr).toContain('source.streams.charges');
      expect(r.stderr).toMatch(/\.multi-missing-\d+\.yaml:\d+:\d+/);
    } finally {
      await rm(bad, { force: true });
    }
  });
});

describe('run: connectors that are valid but not built yet fail uniformly', () => {
  it('an Iceberg target is built (tests/e2e/iceberg.test.ts): without its endpoint variable it exits 2 naming it', async () => {
    const r = await runCli(['run', '--config', 'tests/fixtures/jobs/adventureworks_person_to_iceberg.yaml'], {
      cwd: ORIGINAL,
      env: { ...ORIGINAL_ENV, S3_ENDPOINT: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('NOT_IMPLEMENTED');
    expect(r.stderr).toContain('S3_ENDPOINT');
    expect(r.stderr).toMatch(/adventureworks_person_to_iceberg\.yaml:\d+:\d+/);
  });
  it('the original plugin examples: a .so reader is refused for good, a .py one runs (its /app paths do not exist here)', async () => {
    const so = await runCli(['run', '--config', 'examples/jobs/rust_plugin_example_full.yaml'], {
      cwd: ORIGINAL,
      env: ORIGINAL_ENV,
    });
    expect(so.code).toBe(2);
    expect(so.stderr).toContain('PLUGIN_DENIED');
    expect(so.stderr).toContain('native code cannot be sandboxed');
    expect(so.stderr).toMatch(/rust_plugin_example_full\.yaml:\d+:\d+, key source\.custom_reader/);
    const py = await runCli(['run', '--config', 'examples/jobs/custom_plugin_example.yaml'], {
      cwd: ORIGINAL,
      env: ORIGINAL_ENV,
    });
    // Python plugins run (tests/e2e/python-plugins.test.ts): this example fails on its first missing file.
    expect(py.code).toBe(2);
    expect(py.stderr).not.toContain('NOT_IMPLEMENTED');
    expect(py.stderr).toContain('CONFIG_NOT_FOUND');
    for (const r of [so, py]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

interface BadCase {
  file: string;
  /** The file the error is located in: the job, or a recipe or contract it references. */
  errorFile: string;
  mode?: string;
  env?: Record<string, string>;
  code: string;
  line: number;
  column: number;
  keyPath: string | null;
  messageIncludes?: string;
}

describe('bad configs: exit 2 with file, line, column and key', async () => {
  const manifest = JSON.parse(
    await readFile(path.join(REPO, 'tests/fixtures/bad-configs/expected.json'), 'utf8'),
  ) as BadCase[];
  it('has at least 25 cases', () => expect(manifest.length).toBeGreaterThanOrEqual(25));
  for (const c of manifest) {
    it(`${c.file} → ${c.code}`, async () => {
      const args = ['validate', '--config', c.file];
      if (c.mode) args.push('--mode', c.mode);
      const r = await runCli(args, { env: c.env ?? {} });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(c.code);
      expect(r.stderr).toContain(`${c.errorFile}:${c.line}:${c.column}`);
      if (c.keyPath) expect(r.stderr).toContain(c.keyPath);
      if (c.messageIncludes) expect(r.stderr).toContain(c.messageIncludes);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('--job-dir', () => {
  it('runs each job, reports each, and exits with the worst code', async () => {
    const dir = path.join(tmp, 'jobdir');
    await mkdir(dir, { recursive: true });
    const out = path.join(tmp, 'jobdir-out');
    for (const j of ['person', 'product_warn']) {
      await copyFile(path.join(REPO, 'tests/fixtures/jobs', `${j}.yaml`), path.join(dir, `${j}.yaml`));
    }
    // a contract in the same folder is recognised as not-a-job and skipped
    await copyFile(path.join(REPO, 'tests/fixtures/contracts/orders.yaml'), path.join(dir, 'contract.yaml'));
    const state = path.join(tmp, 'jobdir-state');
    const warnOnly = await runCli(['run', '--job-dir', dir, '--state-dir', state], { env: { OUT_DIR: out } });
    expect(warnOnly.code, warnOnly.stderr).toBe(1);
    expect(warnOnly.stderr).toContain('2 job(s): 1 ok, 1 with warnings, 0 failed');

    await copyFile(
      path.join(REPO, 'tests/fixtures/jobs/product_malformed.yaml'),
      path.join(dir, 'product_malformed.yaml'),
    );
    const withFailure = await runCli(['run', '--job-dir', dir, '--state-dir', `${state}-2`], {
      env: { OUT_DIR: `${out}-2` },
    });
    expect(withFailure.code).toBe(2);
    expect(withFailure.stderr).toContain('3 job(s): 1 ok, 1 with warnings, 1 failed');
  });
});

describe('secrets never reach logs or reports', () => {
  it('a debug run that loads filesystem and env secrets prints none of their values', async () => {
    const secretsDir = path.join(tmp, 'secrets');
    await mkdir(path.join(secretsDir, 'acme'), { recursive: true });
    const values = {
      dbPassword: 'pg-Sup3r-s3cret!',
      apiToken: 'tok_live_9f8e7d6c5b4a',
      plain: 'plain-text-secret-value',
      envCredential: 'env-credential-0xBEEF',
      envManager: 'env-manager-secret-42',
    };
    await writeFile(path.join(secretsDir, 'acme', 'db.env'), `PASSWORD=${values.dbPassword}\nUSER=ingest\n`);
    await writeFile(path.join(secretsDir, 'acme', 'api.json'), JSON.stringify({ token: values.apiToken }));
    await writeFile(path.join(secretsDir, 'acme', 'plain.txt'), `${values.plain}\n`);
    const r = await runCli(
      [
        'run',
        '--config',
        'tests/fixtures/secrets-job/job.yaml',
        '--secret-manager',
        'filesystem',
        '--secrets-dir',
        secretsDir,
        '--state-dir',
        path.join(tmp, 'secrets-state'),
        '--json',
        '--verbose',
      ],
      {
        env: {
          OUT_DIR: path.join(tmp, 'secrets-out'),
          MY_API_TOKEN: values.envCredential,
          DATIVO_SECRET__ACME__EXTRA: values.envManager,
        },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(10);
    expect(r.stderr).toContain('job_config'); // the effective config is logged at debug level...
    const all = r.stdout + r.stderr;
    for (const v of Object.values(values)) expect(all).not.toContain(v); // ...masked
    expect(all).toContain('***');
  });
});
