import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/load-job.js';
import { staticSecrets } from '../../../host/config/secret-lookup.js';
import { masker } from '../../../host/secrets/masker.js';
import { catchErr, ORIGINAL_ENV, PERSON_CONTRACT, REPO, tempTree } from './helpers.js';

const HEAD = `tenant_id: acme
source_connector_path: connectors/csv.yaml
target_connector_path: connectors/local.yaml
asset_path: person.yaml
`;
const FILES = `source:
  files:
    - path: people.csv
      object: people
`;

async function job(text: string, extra: Record<string, string> = {}) {
  const dir = await tempTree({
    'job.yaml': text,
    'person.yaml': PERSON_CONTRACT,
    'people.csv': 'id,email\n1,a@b.c\n',
    ...extra,
  });
  return { dir, file: path.join(dir, 'job.yaml') };
}

describe('paths', () => {
  it('connectors/<type>.yaml falls back to the bundled recipes; relative paths resolve against cwd, then the job folder', async () => {
    const { dir, file } = await job(HEAD + FILES);
    const elsewhere = await tempTree({ 'people.csv': 'x\n' });
    // cwd has no person.yaml: the job folder's is used; cwd has people.csv: that one wins.
    const j = await loadJob(file, { cwd: elsewhere, env: {} });
    expect(j.source.type).toBe('csv');
    expect(j.target.type).toBe('local');
    expect(j.contract.file).toBe(path.join(dir, 'person.yaml'));
    expect(j.source.files[0]?.path).toBe(path.join(elsewhere, 'people.csv'));
    // The local recipe's default output folder, resolved against cwd.
    expect(j.target.connection.path).toBe(path.join(elsewhere, 'output'));
    expect(j.target).toMatchObject({
      engine: 'native',
      compression: 'snappy',
      rowGroupSize: 131072,
      parquetTargetSizeMb: 128,
    });
  });

  it('a recipe in the job folder wins over the bundled one', async () => {
    const { file } = await job(HEAD + FILES, {
      'connectors/csv.yaml':
        'name: csv\ntype: csv\nroles: [source]\ndefault_engine:\n  type: native\n  options:\n    native:\n      delimiter: ";"\n',
    });
    const j = await loadJob(file, { cwd: path.dirname(file), env: {} });
    expect(j.source.options).toEqual({ delimiter: ';' });
    expect(j.source.incremental).toBeUndefined();
  });

  it('$VAR and ${VAR} expand in paths', async () => {
    const { dir, file } = await job(
      HEAD.replace('asset_path: person.yaml', 'asset_path: $CONTRACTS/person.yaml') +
        FILES.replace('people.csv', '${DATA}/people.csv'),
    );
    const j = await loadJob(file, { cwd: dir, env: { CONTRACTS: dir, DATA: 'in' } });
    expect(j.contract.file).toBe(path.join(dir, 'person.yaml'));
    expect(j.source.files[0]?.path).toBe(path.join(dir, 'in/people.csv'));
  });
});

describe('interpolation of the effective config', () => {
  it('default, set, unset, and secret:', async () => {
    const text = `${HEAD}${FILES}  connection:
    host: "\${PGHOST:-localhost}"
    port: "\${PGPORT:-5432}"
    user: "\${PGUSER}"
  credentials:
    password: "\${secret:pg_password}"
`;
    const { dir, file } = await job(text);
    const j = await loadJob(file, {
      cwd: dir,
      env: { PGPORT: '6543', PGUSER: 'ingest' },
      secrets: staticSecrets({ pg_password: 's3cr3t-pw' }),
    });
    expect(j.source.config.connection).toEqual({ host: 'localhost', port: '6543', user: 'ingest' });
    expect(j.source.credentials).toEqual({ password: 's3cr3t-pw' });
    expect(masker.mask('pw=s3cr3t-pw')).toBe('pw=***');
    const { first, all } = await catchErr(() =>
      loadJob(file, { cwd: dir, env: {}, secrets: staticSecrets({}) }),
    );
    expect(all.map((e) => e.code)).toEqual(['VARIABLE_UNSET', 'SECRET_NOT_FOUND']);
    expect(first.location).toMatchObject({ file, line: 12, column: 5, keyPath: 'source.connection.user' });
    expect(all[1]?.location).toMatchObject({ line: 14, column: 5, keyPath: 'source.credentials.password' });
  });

  it('values interpolated into credential-like keys are registered with the masker', async () => {
    const text = `${HEAD}${FILES}target:\n  connection:\n    api_token: "\${TOKEN_FOR_MASK}"\n`;
    const { dir, file } = await job(text);
    await loadJob(file, { cwd: dir, env: { TOKEN_FOR_MASK: 'tok-9f8e7d6c' } });
    expect(masker.mask('Bearer tok-9f8e7d6c')).toBe('Bearer ***');
  });

  it('an unset variable in a recipe template the job overrides is not an error; one it does not override names the recipe', async () => {
    const recipe =
      'name: local\ntype: local\nroles: [target]\nconnection_template:\n  path: "${LAKE_ROOT}/lake"\n  region: "${LAKE_REGION}"\n';
    const { dir, file } = await job(
      `${HEAD.replace('connectors/local.yaml', 'recipes/local.yaml')}${FILES}target:\n  connection:\n    path: out\n`,
      {
        'recipes/local.yaml': recipe,
      },
    );
    const { first, all } = await catchErr(() => loadJob(file, { cwd: dir, env: {} }));
    expect(all).toHaveLength(1);
    expect(first.code).toBe('VARIABLE_UNSET');
    expect(first.location).toMatchObject({
      file: path.join(dir, 'recipes/local.yaml'),
      line: 6,
      column: 3,
      keyPath: 'connection_template.region',
    });
    expect(first.message).toContain('target.connection.region');
    const j = await loadJob(file, { cwd: dir, env: { LAKE_REGION: 'eu' } });
    expect(j.target.connection).toEqual({ path: path.join(dir, 'out'), region: 'eu' });
  });
});

describe('engine choice and options', () => {
  const recipe = `name: gdrive_csv
type: gdrive_csv
roles: [source]
default_engine:
  type: airbyte
  options:
    native: {api_version: v3, page: 10}
    airbyte: {docker_image: "airbyte/source-google-drive:latest"}
`;
  const head = HEAD.replace('connectors/csv.yaml', 'recipes/gdrive.yaml');
  const files = 'source:\n  files:\n    - id: abc123\n      object: sheet1\n';

  it('recipe default_engine', async () => {
    const { dir, file } = await job(head + files, { 'recipes/gdrive.yaml': recipe });
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.source.engine).toBe('airbyte');
    expect(j.source.options).toEqual({ docker_image: 'airbyte/source-google-drive:latest' });
    expect(j.source.files).toEqual([{ path: '', object: 'sheet1', id: 'abc123' }]);
  });

  it('job engine.type over the recipe, engine_override over both; options deep-merged', async () => {
    const text = `${head}${files}  engine:\n    type: meltano\n    options:\n      native: {page: 50}\n      retries: 2\n`;
    const { dir, file } = await job(text, { 'recipes/gdrive.yaml': recipe });
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.source.engine).toBe('meltano');
    expect(j.source.options).toEqual({ retries: 2 });
    const over = await job(`${text}  engine_override: native\n`, { 'recipes/gdrive.yaml': recipe });
    const k = await loadJob(over.file, { cwd: over.dir, env: {} });
    expect(k.source.engine).toBe('native');
    expect(k.source.options).toEqual({ api_version: 'v3', page: 50, retries: 2 });
    // Another engine's options are never read, so they are not in the effective config (and their
    // variables need not be set).
    expect((k.source.config.engine as { options: Record<string, unknown> }).options.airbyte).toBeUndefined();
  });

  it('registry default when neither job nor recipe names one', async () => {
    const { dir, file } = await job(head + files, { 'recipes/gdrive.yaml': 'name: g\ntype: gdrive_csv\n' });
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.source.engine).toBe('native');
    expect(j.source.incremental).toBeUndefined();
  });
});

describe('state path and incremental', () => {
  it('default layout {stateDir}/{tenant}/{type}.{object}.state.json; STATE_DIR and stateDir', async () => {
    const { dir, file } = await job(HEAD + FILES);
    expect((await loadJob(file, { cwd: dir, env: {} })).statePath).toBe(
      path.join(dir, '.local/state/acme/csv.people.state.json'),
    );
    expect((await loadJob(file, { cwd: dir, env: { STATE_DIR: 'st' } })).statePath).toBe(
      path.join(dir, 'st/acme/csv.people.state.json'),
    );
    const j = await loadJob(file, { cwd: dir, env: { STATE_DIR: 'st' }, stateDir: '/var/dativo' });
    expect(j.statePath).toBe('/var/dativo/acme/csv.people.state.json');
    expect(j.source.incremental?.statePath).toBe(j.statePath);
  });

  it('incremental.state_path wins; objects[0] names the state file', async () => {
    const { dir, file } = await job(
      `${HEAD}${FILES}  objects: [first, second]\n  incremental:\n    state_path: state/x.json\n    lookback_days: 3\n`,
    );
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.statePath).toBe(path.join(dir, 'state/x.json'));
    expect(j.source.incremental).toEqual({
      strategy: 'file_modified_time',
      lookbackDays: 3,
      statePath: path.join(dir, 'state/x.json'),
    });
    const k = await loadJob((await job(`${HEAD}${FILES}  objects: [first]\n`)).file, { cwd: dir, env: {} });
    expect(path.basename(k.statePath)).toBe('csv.first.state.json');
  });
});

describe('job-level keys the original rejected, and ours', () => {
  it('plugins.sandbox, source.plugin with grants, target.catalog string, writer tuning, retry, logging', async () => {
    const text = `${HEAD}${FILES}  plugin:
    path: plugins/reader.wasm
    allow:
      hosts: [api.example.com]
      secrets: [api_key]
      memory_mb: 64
      timeout_ms: 5000
      output_mb: 10
target:
  catalog: nessie
  partitioning: [country]
  compression: gzip
  row_group_size: 5000
  parquet_target_size_mb: 64
  markdown_kv_storage:
    mode: raw_file
plugins:
  sandbox:
    enabled: true
    cpu_limit: 0.5
    memory_limit: 512m
    network_disabled: true
    timeout: 300
retry_config:
  max_retries: 1
  retry_delay_seconds: 9
  retryable_error_patterns: ["timeout"]
logging:
  level: WARNING
schema_validation_mode: warn
`;
    const { dir, file } = await job(text);
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.source.plugin).toEqual({
      path: path.join(dir, 'plugins/reader.wasm'),
      allow: {
        hosts: ['api.example.com'],
        secrets: ['api_key'],
        memoryMb: 64,
        timeoutMs: 5000,
        outputMb: 10,
      },
    });
    expect(j.sandbox).toEqual({
      enabled: true,
      cpuLimit: 0.5,
      memoryLimit: '512m',
      networkDisabled: true,
      timeout: 300,
    });
    expect(j.target).toMatchObject({
      partitioning: ['country'],
      compression: 'gzip',
      rowGroupSize: 5000,
      parquetTargetSizeMb: 64,
    });
    expect(j.target.config.catalog).toBe('nessie');
    expect(j.retry).toMatchObject({
      maxRetries: 1,
      initialDelaySeconds: 9,
      retryableErrorPatterns: ['timeout'],
    });
    expect(j.logging).toEqual({ level: 'warn', redaction: false });
    expect(j.validationMode).toBe('warn');
  });

  it('partitioning: job, else recipe default, else contract', async () => {
    const contract = `${PERSON_CONTRACT}target:\n  partitioning: [ingest_date]\n`;
    const { dir, file } = await job(HEAD + FILES, { 'person.yaml': contract });
    expect((await loadJob(file, { cwd: dir, env: {} })).target.partitioning).toEqual(['ingest_date']);
    const r = await job(HEAD.replace('connectors/local.yaml', 'recipes/l.yaml') + FILES, {
      'person.yaml': contract,
      'recipes/l.yaml': 'name: l\ntype: local\npartitioning_default: [region]\n',
    });
    expect((await loadJob(r.file, { cwd: r.dir, env: {} })).target.partitioning).toEqual(['region']);
  });

  it('locate() answers for job keys and recipe-supplied keys', async () => {
    const { dir, file } = await job(HEAD + FILES);
    const j = await loadJob(file, { cwd: dir, env: {} });
    expect(j.locate('source.files[0].path')).toEqual({
      file,
      line: 7,
      column: 7,
      keyPath: 'source.files[0].path',
    });
    expect(j.locate('target.connection.path')).toMatchObject({
      file: path.join(REPO, 'recipes/local.yaml'),
      keyPath: 'connection_template.path',
    });
    expect(j.locate('source.engine.options.native.delimiter')).toMatchObject({
      file: path.join(REPO, 'recipes/csv.yaml'),
      line: 13,
      column: 7,
    });
  });
});

describe('credentials from the recipe', () => {
  it('from_env: secret manager first, then env; file_template with {tenant}', async () => {
    const head = HEAD.replace('connectors/csv.yaml', 'recipes/api.yaml');
    const dir0 = await tempTree({});
    const recipe = `name: hubspot\ntype: hubspot\nroles: [source]\ncredentials:\n  type: api_key\n  from_env: HUBSPOT_API_KEY\n  file_template: "${dir0}/{tenant}/hubspot.env"\n`;
    const { dir, file } = await job(`${head}source:\n  objects: [contacts]\n`, {
      'recipes/api.yaml': recipe,
    });
    const env = { HUBSPOT_API_KEY: 'from-env-key' };
    expect((await loadJob(file, { cwd: dir, env })).source.credentials).toEqual({
      hubspot_api_key: 'from-env-key',
      api_key: 'from-env-key',
    });
    const viaSecrets = await loadJob(file, {
      cwd: dir,
      env,
      secrets: staticSecrets({ hubspot_api_key: 'from-manager' }),
    });
    expect(viaSecrets.source.credentials.api_key).toBe('from-manager');
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir0, 'acme'), { recursive: true });
    await writeFile(path.join(dir0, 'acme/hubspot.env'), 'CLIENT_ID=cid-1234\nCLIENT_SECRET=csecret-5678\n');
    const withFile = await loadJob(file, { cwd: dir, env: {} });
    expect(withFile.source.credentials).toEqual({ CLIENT_ID: 'cid-1234', CLIENT_SECRET: 'csecret-5678' });
    expect(masker.mask('x csecret-5678 y')).toBe('x *** y');
    // Only the source gets them.
    expect(JSON.stringify(withFile.target)).not.toContain('csecret-5678');
  });
});

describe('unknown keys at any depth', () => {
  const S3_HEAD = HEAD.replace('connectors/local.yaml', 'connectors/s3.yaml');

  it('a misspelt key in target.connection.s3 is an error at its line and column, naming the nearest key', async () => {
    const text = `${S3_HEAD}${FILES}target:\n  connection:\n    s3:\n      bukcet: my-bucket\n      region: eu-west-1\n`;
    const { file } = await job(text);
    const { first, all } = await catchErr(() => loadJob(file, { env: {} }));
    expect(all).toHaveLength(1);
    expect(first.code).toBe('CONFIG_INVALID');
    expect(first.message).toBe('unknown key "bukcet" in a job (did you mean "bucket"?)');
    expect(first.location).toMatchObject({
      file,
      line: 12,
      column: 7,
      keyPath: 'target.connection.s3.bukcet',
    });
  });

  it('the same for source.incremental, and several at once in file order', async () => {
    const text = `${HEAD}${FILES}  incremental:\n    stratgy: file_modified_time\ntarget:\n  connection:\n    minio:\n      endpont: http://x\n`;
    const { file } = await job(text);
    const { all } = await catchErr(() => loadJob(file, { env: {} }));
    expect(all.map((e) => [e.location?.line, e.location?.column, e.message])).toEqual([
      [10, 5, 'unknown key "stratgy" in a job (did you mean "strategy"?)'],
      [14, 7, 'unknown key "endpont" in a job (did you mean "endpoint"?)'],
    ]);
  });

  it('no hint when nothing valid is near; every key the S3 connection reads still loads', async () => {
    const far = await job(`${S3_HEAD}${FILES}target:\n  connection:\n    s3:\n      colour: blue\n`);
    const { first } = await catchErr(() => loadJob(far.file, { env: {} }));
    expect(first.message).toBe('unknown key "colour" in a job');
    const ok = await job(
      `${S3_HEAD}${FILES}target:\n  connection:\n    s3:\n      bucket: b\n      endpoint_url: http://x\n      use_ssl: false\n      force_path_style: true\n      aws_access_key_id: k\n      aws_secret_access_key: s\n      aws_session_token: t\n`,
    );
    const j = await loadJob(ok.file, { env: ORIGINAL_ENV });
    expect(j.target.connection.s3).toMatchObject({ bucket: 'b', force_path_style: true });
  });
});
