/**
 * Architecture §7: the original system's files load unchanged, including the keys its own schema
 * rejected. Jobs run with cwd = the original repo root, as the original did.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/load-job.js';
import { loadRecipe } from '../../../host/config/recipe.js';
import { loadRegistry } from '../../../host/config/registry.js';
import { loadContract } from '../../../host/contract/load.js';
import { catchErr, ORIGINAL, ORIGINAL_ENV, REPO, tempTree } from './helpers.js';

const opts = { cwd: ORIGINAL, env: ORIGINAL_ENV };
const jobsDir = path.join(ORIGINAL, 'tests/fixtures/jobs');
const jobs = readdirSync(jobsDir).filter((f) => f.endsWith('.yaml'));
const loadable = jobs.filter((f) => f !== 'postgres_person_to_iceberg_markdown_kv.yaml');

describe('original jobs (tests/fixtures/jobs)', () => {
  it('finds the eight shipped jobs', () => expect(jobs).toHaveLength(8));

  it.each(loadable)('%s loads', async (f) => {
    const job = await loadJob(path.join('tests/fixtures/jobs', f), opts);
    expect(job.tenantId).toBe('test_tenant');
    expect(job.name).toBe(f.replace('.yaml', ''));
    expect(job.contract.fields.length).toBeGreaterThan(0);
    expect(path.isAbsolute(job.statePath)).toBe(true);
  });

  it('the markdown-kv job names its missing contract: CONFIG_NOT_FOUND at asset_path', async () => {
    const { first } = await catchErr(() =>
      loadJob('tests/fixtures/jobs/postgres_person_to_iceberg_markdown_kv.yaml', opts),
    );
    expect(first.code).toBe('CONFIG_NOT_FOUND');
    expect(first.location).toMatchObject({ line: 11, column: 1, keyPath: 'asset_path' });
    expect(first.message).toContain('tests/fixtures/assets/markdown_kv/v1.0/person_markdown_kv.yaml');
  });

  it('csv → iceberg: merged target connection, recipe options, defaults', async () => {
    const job = await loadJob('tests/fixtures/jobs/adventureworks_person_to_iceberg.yaml', opts);
    expect(job.source).toMatchObject({ type: 'csv', engine: 'native', objects: [] });
    expect(job.source.files).toEqual([
      { path: path.join(ORIGINAL, 'tests/fixtures/seeds/adventureworks/Person.csv'), object: 'Person' },
    ]);
    expect(job.source.options).toMatchObject({ chunk_size: 10000, encoding: 'utf-8', delimiter: ',' });
    expect(job.source.incremental).toEqual({
      strategy: 'file_modified_time',
      lookbackDays: 0,
      statePath: path.join(ORIGINAL, '.local/state/test_tenant/csv.Person.state.json'),
    });
    expect(job.target.connection).toEqual({
      s3: {
        endpoint: 'http://localhost:9000',
        bucket: 'test-bucket',
        access_key_id: 'AKIATESTKEY',
        secret_access_key: 'aws-secret-value-123',
        region: 'us-east-1',
        path_style_access: true,
      },
    });
    expect(job.target).toMatchObject({
      type: 'iceberg',
      engine: 'native',
      fileFormat: 'parquet',
      partitioning: ['ingest_date'],
      parquetTargetSizeMb: 128,
      rowGroupSize: 131072,
    });
    // The iceberg recipe's native options say snappy; an explicit target.compression would win.
    expect(job.target.compression).toBe('snappy');
    expect(job.validationMode).toBe('strict');
    expect(job.logging).toEqual({ level: 'info', redaction: false });
    expect(job.retry).toEqual({
      maxRetries: 3,
      initialDelaySeconds: 5,
      maxDelaySeconds: 300,
      backoffMultiplier: 2,
      retryableExitCodes: [1, 2],
      retryableErrorPatterns: [],
    });
  });

  it('a job engine.options adds to the recipe options (deep merge), job keys winning', async () => {
    const job = await loadJob('tests/fixtures/jobs/smoke_test_2_csv_employee_python_reader.yaml', opts);
    expect(job.source.options).toEqual({
      library: 'pandas',
      library_version: '2.1.0',
      chunk_size: 10000,
      encoding: 'utf-16-le',
      delimiter: ',',
      quote_char: '"',
      batch_size: 100,
    });
    expect(job.source.customReader).toBe(
      path.join(ORIGINAL, 'tests/fixtures/plugins/csv_employee_reader.py') + ':CSVEmployeeReader',
    );
    expect(job.validationMode).toBe('warn');
  });

  it('stripe: the `created` strategy the original schema rejected, with its cursor', async () => {
    const job = await loadJob('tests/fixtures/jobs/stripe_customers_to_iceberg.yaml', {
      ...opts,
      env: { ...ORIGINAL_ENV, STRIPE_API_KEY: 'sk_test_abcdef' },
    });
    expect(job.source).toMatchObject({ type: 'stripe', engine: 'airbyte', objects: ['customers'] });
    expect(job.source.incremental).toMatchObject({
      strategy: 'created',
      cursorField: 'created',
      lookbackDays: 1,
    });
    expect(job.source.credentials).toEqual({ stripe_api_key: 'sk_test_abcdef', api_key: 'sk_test_abcdef' });
    expect(job.statePath).toBe(path.join(ORIGINAL, '.local/state/test_tenant/stripe.customers.state.json'));
    expect(job.contract.form).toBe('flat');
    expect(job.contract.name).toBe('stripe_customers');
  });

  it('an s3 recipe bucket ${S3_BUCKET} the job overrides needs no variable', async () => {
    const env = { ...ORIGINAL_ENV };
    delete (env as Record<string, string | undefined>).S3_BUCKET;
    const job = await loadJob('tests/fixtures/jobs/csv_person_to_s3.yaml', { cwd: ORIGINAL, env });
    expect(job.target.connection.bucket).toBe('test-bucket');
    expect(job.target.connection.prefix).toBe('raw/csv/person');
  });
});

/** docs/examples and examples/ jobs use `/app/...` paths from the original's container image. */
const APP_JOBS = [
  'docs/examples/jobs/acme/employee_with_overrides.yaml',
  'docs/examples/jobs/acme/hubspot_contacts_to_iceberg.yaml',
  'examples/jobs/custom_plugin_example.yaml',
  'examples/jobs/rust_plugin_example_full.yaml',
];

describe('original example jobs with /app/... paths', () => {
  it.each(APP_JOBS)(
    '%s: as shipped, CONFIG_NOT_FOUND naming asset_path (recipes fall back to the bundled ones)',
    async (f) => {
      const { first } = await catchErr(() => loadJob(f, opts));
      expect(first.code).toBe('CONFIG_NOT_FOUND');
      expect(first.location).toMatchObject({
        file: path.join(ORIGINAL, f),
        line: 11,
        column: 1,
        keyPath: 'asset_path',
      });
      expect(first.message).toMatch(/\/app\/assets\//);
    },
  );

  /** The same jobs with /app/ rewritten to the fixture root: every key they use is accepted. */
  async function rewritten(f: string): Promise<string> {
    const text = readFileSync(path.join(ORIGINAL, f), 'utf8')
      .replaceAll('/app/assets/csv/', 'tests/fixtures/assets/csv/')
      .replaceAll('/app/', '');
    const dir = await tempTree({ [path.basename(f)]: text });
    return path.join(dir, path.basename(f));
  }

  it('employee_with_overrides: classification_overrides, finops, governance_overrides load', async () => {
    const job = await loadJob(await rewritten(APP_JOBS[0] as string), opts);
    expect(job.classificationOverrides).toEqual({
      email: 'high_pii',
      phone_number: 'high_pii',
      salary: 'financial',
      default: 'pii',
    });
    expect(job.finops).toEqual({
      costCenter: 'HR-001',
      businessTags: ['hr', 'payroll', 'compliance'],
      project: 'employee-data-platform',
      environment: 'production',
    });
    expect(job.governanceOverrides).toEqual({ retentionDays: 365, owner: 'hr-data-team@acme.com' });
    expect(job.logging).toEqual({ level: 'info', redaction: true });
    expect(job.environment).toBe('prod');
    expect(job.target.config.branch).toBe('acme');
  });

  it('hubspot: a job map without strategy uses the recipe strategy and cursor', async () => {
    const job = await loadJob(await rewritten(APP_JOBS[1] as string), opts);
    expect(job.source).toMatchObject({ type: 'hubspot', engine: 'airbyte', objects: ['contacts'] });
    expect(job.source.incremental).toMatchObject({
      strategy: 'updated_after',
      cursorField: 'updatedAt',
      lookbackDays: 1,
    });
    expect(job.contract).toMatchObject({
      name: 'hubspot_contacts',
      owner: 'data-team@company.com',
      tags: ['crm', 'contacts'],
    });
    expect(job.contract.compliance).toMatchObject({ classification: ['pii'], retentionDays: 30 });
  });

  it('custom plugin example: custom reader/writer, inline credentials, plain engine options', async () => {
    const job = await loadJob(await rewritten(APP_JOBS[2] as string), opts);
    expect(job.source.customReader).toBe(
      path.join(ORIGINAL, 'plugins/json_api_reader.py') + ':JSONAPIReader',
    );
    expect(job.target.customWriter).toBe(
      path.join(ORIGINAL, 'plugins/json_file_writer.py') + ':JSONFileWriter',
    );
    expect(job.source.credentials).toEqual({ token: 'api-token-value' });
    expect(job.source.options).toMatchObject({ page_size: 100, max_pages: null });
    expect(job.target.options).toMatchObject({ format: 'jsonl', compress: false });
    expect(job.source.objects).toEqual(['users', 'orders']);
  });

  it('rust example: retry max_attempts, writer options from the job', async () => {
    const job = await loadJob(await rewritten(APP_JOBS[3] as string), opts);
    expect(job.retry.maxRetries).toBe(2);
    expect(job.target.compression).toBe('zstd');
    expect(job.target.rowGroupSize).toBe(500000);
    expect(job.source.files.map((f) => f.id)).toEqual(['dataset_1', 'dataset_2']);
    expect(job.source.files[0]?.path).toBe('/data/large_dataset.csv');
  });
});

describe('original recipes, registry and contracts', () => {
  const recipes = readdirSync(path.join(ORIGINAL, 'connectors'));
  it.each(recipes)('recipe connectors/%s loads and equals the bundled copy', async (f) => {
    const r = await loadRecipe(path.join(ORIGINAL, 'connectors', f));
    expect(r.data.type.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(REPO, 'recipes', f), 'utf8')).toBe(
      readFileSync(path.join(ORIGINAL, 'connectors', f), 'utf8'),
    );
  });

  it('the original registry loads; the bundled one adds `local` and `postgres_cdc`', async () => {
    const orig = await loadRegistry(path.join(ORIGINAL, 'registry/connectors.yaml'));
    const bundled = await loadRegistry();
    expect(Object.keys(orig.connectors)).toHaveLength(12);
    expect(Object.keys(bundled.connectors).sort()).toEqual(
      [...Object.keys(orig.connectors), 'local', 'postgres_cdc'].sort(),
    );
    expect(bundled.connectors.local).toMatchObject({
      roles: ['target'],
      engines_supported: ['native'],
      default_engine: 'native',
    });
    expect(bundled.connectors.postgres?.allowed_in_cloud).toBe(false);
  });

  const contracts = [
    'assets/hubspot/v1.0/contacts.yaml',
    'assets/postgres/v1.0/db_orders.yaml',
    'assets/stripe/v1.0/customers.yaml',
    'tests/fixtures/assets/csv/v1.0/employee.yaml',
    'tests/fixtures/assets/csv/v1.0/listening_history.yaml',
    'tests/fixtures/assets/csv/v1.0/person.yaml',
    'tests/fixtures/assets/csv/v1.0/product.yaml',
  ];
  it.each(contracts)('contract %s loads', async (f) => {
    const c = await loadContract(path.join(ORIGINAL, f));
    expect(c.fields.length).toBeGreaterThan(0);
    expect(c.form).toBe('flat');
    expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
