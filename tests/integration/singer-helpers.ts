/**
 * Shared by the Singer integration and security tests: prepares bubblewrap, Docker and the test tap
 * image (scripts/), and writes jobs that run tests/fixtures/connectors/singer-tap through `dativo run`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { BIN, type CliResult, cliEnv, REPO, runCli } from '../helpers/cli.js';

export const TAP = path.join(REPO, 'tests/fixtures/connectors/singer-tap/tap_fixture.py');
export const DATA = path.join(REPO, 'tests/fixtures/connectors/singer-data');
export const CONTRACTS = path.join(REPO, 'tests/fixtures/connectors/singer-contracts');
export const IMAGE = 'dativo-test/singer-tap:local';

export type Launch = 'bwrap' | 'docker' | 'unsandboxed';

function script(rel: string, timeoutMs: number): string {
  return execFileSync('bash', [path.join(REPO, rel)], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** bwrap, a Docker engine, the tap image (a cold debootstrap takes minutes) and dist/. */
export function prepareSinger(opts: { docker: boolean }): void {
  script('scripts/services/start-bwrap.sh', 300_000);
  if (opts.docker) {
    script('scripts/services/start-docker.sh', 300_000);
    script('scripts/build-singer-image.sh', 1_800_000);
  }
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

export interface Workspace {
  dir: string;
  data: string;
  out: string;
  state: string;
}

/** A temp folder with a copy of the tap's data (tests append rows to it). */
export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-singer-'));
  const data = path.join(dir, 'data');
  await cp(DATA, data, { recursive: true });
  return { dir, data, out: path.join(dir, 'out'), state: path.join(dir, 'state') };
}

export interface JobSpec {
  kind: 'stripe' | 'hubspot';
  stream: string;
  contract: string;
  launch: Launch;
  /** Extra tap config (mode, inline data...). */
  config?: Record<string, unknown>;
  /** Extra singer options. */
  options?: Record<string, unknown>;
  name?: string;
}

export async function writeJob(ws: Workspace, spec: JobSpec): Promise<string> {
  const singer: Record<string, unknown> =
    spec.launch === 'docker'
      ? { image: IMAGE }
      : {
          executable: TAP,
          mounts: [ws.data],
          ...(spec.launch === 'unsandboxed' ? { unsandboxed: true } : {}),
        };
  singer.config = { kind: spec.kind, data_dir: ws.data, ...spec.config };
  Object.assign(singer, spec.options);
  const job = {
    tenant_id: 'singer',
    source_connector: spec.kind,
    source_connector_path: `connectors/${spec.kind}.yaml`,
    target_connector: 'local',
    target_connector_path: 'connectors/local.yaml',
    asset_path: path.join(CONTRACTS, spec.contract),
    source: { objects: [spec.stream], engine: { type: 'singer', options: { singer } } },
    target: { connection: { path: ws.out } },
    schema_validation_mode: 'strict',
  };
  const file = path.join(ws.dir, `${spec.name ?? `${spec.kind}-${spec.stream}`}.yaml`);
  await writeFile(file, stringify(job));
  return file;
}

export const CLI_ENV = { STRIPE_API_KEY: 'sk_test_singer', HUBSPOT_API_KEY: 'hs_test_singer' };

export function runJob(ws: Workspace, job: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['run', '-c', job, '--json', '--state-dir', ws.state], {
    cwd: ws.dir,
    env: { ...CLI_ENV, ...env },
    timeoutMs: 240_000,
  });
}

/** Starts `dativo run` and returns the child, for tests that signal it. */
export function startJob(ws: Workspace, job: string) {
  return spawn(process.execPath, [BIN, 'run', '-c', job, '--json', '--state-dir', ws.state], {
    cwd: ws.dir,
    env: cliEnv(CLI_ENV),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Rows of a data file as the tap's inline `data` config (Docker taps see no host folder). */
export async function inlineData(
  ws: Workspace,
  kind: string,
  stream: string,
): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path.join(ws.data, kind, `${stream}.jsonl`), 'utf8');
  return {
    [stream]: text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l)),
  };
}
