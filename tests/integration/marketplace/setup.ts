/**
 * Shared setup for the marketplace suites: the local registry (scripts/services/start-registry.sh,
 * Debian's docker-registry), the built CLI, the first-party Rust CSV reader as the plugin to
 * publish, and plugin folders derived from it (other versions, capabilities or ABI; a unique
 * module when a test tampers with its blob, since registry blobs are shared by digest).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { parse as parseYaml, stringify } from 'yaml';
import { appendCustomSection } from '../../../host/plugins/wasm-module.js';
import { type CliResult, REPO, runCli } from '../../helpers/cli.js';

export const RUN_DIR = process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run');
const BUILT = path.join(REPO, '.run/rust-plugins/csv-reader');

export interface Registry {
  url: string;
  hostPort: string;
  storage: string;
}

export function startRegistry(): Registry {
  execFileSync('bash', [path.join(REPO, 'scripts/services/start-registry.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const env = parse(readFileSync(path.join(RUN_DIR, 'registry.env')));
  if (!env.REGISTRY_URL || !env.REGISTRY_HOSTPORT) throw new Error('start-registry.sh wrote no REGISTRY_URL');
  return {
    url: env.REGISTRY_URL,
    hostPort: env.REGISTRY_HOSTPORT,
    storage: path.join(RUN_DIR, 'registry/storage'),
  };
}

/** dist/ for the CLI children, and the Rust CSV reader. */
export function buildAll(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (!existsSync(path.join(REPO, 'dist/marketplace/install.js')))
    throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'csv-reader'], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

export interface Variant {
  name: string;
  version: string;
  abi?: string;
  /** Network hosts the manifest requests (default none). */
  hosts?: string[];
  /** A module with a unique extra custom section, so its blob digest is not shared. */
  unique?: boolean;
}

/** A plugin folder: the built CSV reader under another name/version/ABI/capabilities. */
export function pluginDir(root: string, v: Variant): string {
  const dir = path.join(
    root,
    `${v.name}-${v.version}${v.unique ? `-${randomBytes(3).toString('hex')}` : ''}`,
  );
  mkdirSync(dir, { recursive: true });
  let wasm: Uint8Array = readFileSync(path.join(BUILT, 'plugin.wasm'));
  if (v.unique) wasm = appendCustomSection(wasm, 'dativo_test_nonce', randomBytes(16));
  const manifest = parseYaml(readFileSync(path.join(BUILT, 'dativo-plugin.yaml'), 'utf8'));
  manifest.name = v.name;
  manifest.version = v.version;
  manifest.abi = v.abi ?? '1.0';
  manifest.capabilities.network = { hosts: v.hosts ?? [] };
  manifest.entry.sha256 = createHash('sha256').update(wasm).digest('hex');
  writeFileSync(path.join(dir, 'plugin.wasm'), wasm);
  writeFileSync(path.join(dir, 'dativo-plugin.yaml'), stringify(manifest));
  writeFileSync(
    path.join(dir, 'README.md'),
    `# ${v.name}\n\nThe CSV reader, as published by the marketplace tests.\n`,
  );
  return dir;
}

/** The CLI with the test's own trust folder (never the user's). */
export function cli(
  args: string[],
  cwd: string,
  trustDir: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return runCli(args, {
    cwd,
    env: { DATIVO_TRUST_DIR: trustDir, DATIVO_PLUGIN_REGISTRY: undefined, ...env },
  });
}

export const CSV = `id,name,amount\n${Array.from({ length: 250 }, (_, i) => `${i + 1},n${i + 1},${i + 1}.5`).join('\n')}\n`;

/** A job reading CSV through the installed plugin (named, not by path), writing Parquet locally. */
export function writeJob(dir: string, spec: string): { job: string; out: string } {
  writeFileSync(path.join(dir, 'rows.csv'), CSV);
  writeFileSync(
    path.join(dir, 'contract.yaml'),
    stringify({
      apiVersion: 'v3.0.2',
      kind: 'DataContract',
      id: 'marketplace-rows',
      name: 'rows',
      version: '1.0',
      status: 'active',
      schema: [
        { name: 'id', type: 'integer', required: true },
        { name: 'name', type: 'string', required: true },
        { name: 'amount', type: 'double' },
      ],
    }),
  );
  const out = path.join(dir, 'out');
  const job = path.join(dir, 'job.yaml');
  writeFileSync(
    job,
    stringify({
      tenant_id: 'test_tenant',
      source_connector_path: 'connectors/csv.yaml',
      target_connector_path: 'connectors/local.yaml',
      asset_path: path.join(dir, 'contract.yaml'),
      source: {
        plugin: { name: spec, allow: { timeout_ms: 20_000 } },
        files: [{ path: path.join(dir, 'rows.csv') }],
      },
      target: { connection: { path: out } },
    }),
  );
  return { job, out };
}
