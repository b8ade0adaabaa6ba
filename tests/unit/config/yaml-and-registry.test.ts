import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findJobFiles } from '../../../host/config/find-jobs.js';
import { interpolateString } from '../../../host/config/interpolate.js';
import {
  type ConnectorChoice,
  loadRegistry,
  validateAgainstRegistry,
} from '../../../host/config/registry.js';
import { formatKeyPath, parseKeyPath, parseYaml } from '../../../host/config/yaml-source.js';
import type { DativoError } from '../../../host/errors.js';
import { catchErr, ORIGINAL, tempTree } from './helpers.js';

describe('yaml with positions', () => {
  const src = parseYaml(
    'a: 1\nsource:\n  files:\n    - path: x.csv\n      object: X\n    - {path: y.csv}\n',
    '/v/job.yaml',
  );

  it('key paths parse and print', () => {
    expect(parseKeyPath('source.files[1].path')).toEqual(['source', 'files', 1, 'path']);
    expect(formatKeyPath(['source', 'files', 1, 'path'])).toBe('source.files[1].path');
  });

  it('locates keys, list items and flow maps; missing keys fall back to the nearest ancestor', () => {
    expect(src.locate('source.files[0].object')).toEqual({
      file: '/v/job.yaml',
      line: 5,
      column: 7,
      keyPath: 'source.files[0].object',
    });
    expect(src.locate('source.files[1].path')).toMatchObject({ line: 6, column: 8 });
    expect(src.locate('source.files[1]')).toMatchObject({ line: 6, column: 7 });
    expect(src.locate('source.nothing.here')).toMatchObject({
      line: 2,
      column: 1,
      keyPath: 'source.nothing.here',
    });
    expect(src.has('source.files[0].path')).toBe(true);
    expect(src.has('source.files[2]')).toBe(false);
  });

  it('syntax errors carry file:line:column', async () => {
    const { first } = await catchErr(async () => parseYaml('a: 1\nb: [1, 2\nc: 3\n', '/v/bad.yaml'));
    expect(first.code).toBe('YAML_SYNTAX');
    expect(first.location?.file).toBe('/v/bad.yaml');
    expect(first.location?.line).toBeGreaterThanOrEqual(2);
  });
});

describe('interpolation', () => {
  const ctx = (env: Record<string, string>) => ({
    env,
    locate: () => ({ file: '/v/j.yaml', line: 3, column: 5 }),
  });
  it('${VAR}, ${VAR:-default} (also for empty), literal $ outside paths', () => {
    const errors: DativoError[] = [];
    expect(interpolateString('${A}-${B:-dflt}-${C:-x}', ['k'], ctx({ A: '1', C: '' }), errors)).toBe(
      '1-dflt-x',
    );
    expect(interpolateString('cost: $5 and $HOME', ['k'], ctx({ HOME: '/h' }), errors)).toBe(
      'cost: $5 and $HOME',
    );
    expect(errors).toEqual([]);
  });
  it('unset without default is VARIABLE_UNSET naming the key', () => {
    const errors: DativoError[] = [];
    interpolateString('${NOPE}', ['target', 'connection', 'bucket'], ctx({}), errors);
    expect(errors[0]?.code).toBe('VARIABLE_UNSET');
    expect(errors[0]?.message).toContain('NOPE');
    expect(errors[0]?.message).toContain('target.connection.bucket');
  });
});

describe('registry rules (spec §4)', () => {
  const where = {
    connector: { keyPath: 'c' },
    engine: { keyPath: 'e' },
    strategy: { keyPath: 's' },
    incremental: { keyPath: 'i' },
  };
  const base: ConnectorChoice = {
    role: 'source',
    type: 'csv',
    engine: 'native',
    mode: 'self_hosted',
    hasFiles: true,
    where,
  };
  const check = async (c: Partial<ConnectorChoice>) =>
    validateAgainstRegistry(await loadRegistry(), { ...base, ...c }).map(
      (e) => `${e.location?.keyPath}: ${e.message}`,
    );

  it('accepts a valid choice', async () => {
    expect(await check({ incremental: { strategy: 'file_modified_time', hasCursorField: false } })).toEqual(
      [],
    );
    expect(
      await check({
        type: 'stripe',
        engine: 'airbyte',
        incremental: { strategy: 'created', hasCursorField: true },
      }),
    ).toEqual([]);
    expect(await check({ type: 'local', role: 'target' })).toEqual([]);
  });
  it('type, role (recipe AND registry), engine, cloud', async () => {
    expect(await check({ type: 'nope' })).toEqual([
      expect.stringMatching(/^c: unknown connector type "nope"/),
    ]);
    expect(await check({ type: 'stripe', engine: 'airbyte', role: 'target' })).toEqual([
      expect.stringMatching(/^c: .*cannot be used as a target/),
    ]);
    expect(await check({ role: 'target', recipeRoles: ['source'] })).toEqual([
      expect.stringMatching(/^c: .*cannot be used as a target/),
    ]);
    expect(await check({ engine: 'spark' })).toEqual([expect.stringMatching(/^e: engine "spark"/)]);
    expect(await check({ type: 'mysql', engine: 'meltano', mode: 'cloud' })).toEqual([
      expect.stringMatching(/^c: .*cloud mode/),
    ]);
    expect(await check({ type: 'mysql', engine: 'meltano', mode: 'self_hosted' })).toEqual([]);
  });
  it('strategies: registry default or file/sheet; cursor field; files; sheets', async () => {
    expect(
      await check({
        type: 'postgres',
        engine: 'jdbc',
        incremental: { strategy: 'created', hasCursorField: true },
      }),
    ).toEqual([expect.stringMatching(/^s: .*use "updated_at"/)]);
    expect(
      await check({
        type: 'postgres',
        engine: 'jdbc',
        incremental: { strategy: 'updated_at', hasCursorField: false },
      }),
    ).toEqual([expect.stringMatching(/^i: .*cursor_field/)]);
    expect(
      await check({
        hasFiles: false,
        incremental: { strategy: 'file_modified_time', hasCursorField: false },
      }),
    ).toEqual([expect.stringMatching(/^s: .*needs "source.files"/)]);
    expect(
      await check({
        hasFiles: false,
        customInput: true,
        incremental: { strategy: 'file_modified_time', hasCursorField: false },
      }),
    ).toEqual([]);
    expect(
      await check({
        type: 'google_sheets',
        incremental: { strategy: 'spreadsheet_modified_time', hasCursorField: false },
      }),
    ).toEqual([expect.stringMatching(/needs "source.sheets"/)]);
  });
});

describe('findJobFiles', () => {
  it('finds the original jobs and skips recipes, contracts, registry and runner configs', async () => {
    const found = (await findJobFiles(ORIGINAL)).map((f) => path.relative(ORIGINAL, f));
    expect(found).toEqual([
      'docs/examples/jobs/acme/employee_with_overrides.yaml',
      'docs/examples/jobs/acme/hubspot_contacts_to_iceberg.yaml',
      'examples/jobs/custom_plugin_example.yaml',
      'examples/jobs/rust_plugin_example_full.yaml',
      'tests/fixtures/jobs/adventureworks_person_to_iceberg.yaml',
      'tests/fixtures/jobs/csv_employee_state_persistence.yaml',
      'tests/fixtures/jobs/csv_malformed_data.yaml',
      'tests/fixtures/jobs/csv_person_to_s3.yaml',
      'tests/fixtures/jobs/csv_product_to_minio.yaml',
      'tests/fixtures/jobs/postgres_person_to_iceberg_markdown_kv.yaml',
      'tests/fixtures/jobs/smoke_test_2_csv_employee_python_reader.yaml',
      'tests/fixtures/jobs/stripe_customers_to_iceberg.yaml',
    ]);
  });
  it('keeps a job with broken YAML (so its error is shown) and reads .yml', async () => {
    const dir = await tempTree({
      'b/broken.yml': 'tenant_id: a\nsource_connector_path: x.yaml\nsource: [\n',
      'a/ok.yaml': 'tenant_id: a\ntarget_connector_path: y.yaml\n',
      'c/contract.yaml': 'name: x\nschema: []\n',
      'node_modules/x/job.yaml': 'tenant_id: a\nsource_connector_path: x.yaml\n',
    });
    expect((await findJobFiles(dir)).map((f) => path.relative(dir, f))).toEqual([
      'a/ok.yaml',
      'b/broken.yml',
    ]);
  });
});

describe('masking of interpolated values', () => {
  it('env values in credential keys are registered; defaults written in the file are not', async () => {
    const { masker } = await import('../../../host/secrets/masker.js');
    const ctx = { env: { PGPASSWORD: 'env-pass-4711' }, locate: () => ({}) };
    const errors: DativoError[] = [];
    interpolateString('${PGPASSWORD}', ['source', 'connection', 'password'], ctx, errors);
    interpolateString(
      '${PGPASSWORD2:-literal-default-pw}',
      ['source', 'connection', 'password'],
      ctx,
      errors,
    );
    interpolateString(
      '${PGPASSWORD}',
      ['source', 'connection', 'host'],
      { ...ctx, env: { PGPASSWORD: 'host-value-not-secret' } },
      errors,
    );
    expect(masker.mask('env-pass-4711 literal-default-pw host-value-not-secret')).toBe(
      '*** literal-default-pw host-value-not-secret',
    );
  });
});
