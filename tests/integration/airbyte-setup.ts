/**
 * Shared setup for the Airbyte engine suites: start the Docker engine (scripts/services/start-docker.sh,
 * idempotent), build the test connector images (skipped when unchanged) and the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

export const JOBS = path.join(REPO, 'tests/fixtures/connectors/airbyte-jobs');

export function startDockerAndBuild(): void {
  execFileSync('bash', [path.join(REPO, 'scripts/services/start-docker.sh')], { stdio: 'inherit' });
  execFileSync('bash', [path.join(REPO, 'scripts/build-test-connectors.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!distIsFresh()) {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: REPO,
      stdio: 'inherit',
    });
  }
}

/** The CLI build is newer than every source file (several suites share one build; tsc takes a minute here). */
function distIsFresh(): boolean {
  const built = statSync(path.join(REPO, 'dist/cli/main.js'), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  for (const f of readdirSync(path.join(REPO, 'host'), { recursive: true, withFileTypes: true })) {
    if (f.isFile() && f.name.endsWith('.ts') && statSync(path.join(f.parentPath, f.name)).mtimeMs > built) {
      return false;
    }
  }
  return true;
}

export function tempDir(prefix = 'dativo-airbyte-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Image id of a local image (for digest pins). */
export function imageId(ref: string): string {
  return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]).toString().trim();
}

/**
 * Containers of these suites (Airbyte test images and the busybox base) that still exist: should
 * be none after every run. Other suites' engine containers (Singer) may run at the same time;
 * `job` narrows to one job's containers (label dev.dativo.job).
 */
export function leftoverContainers(job?: string): string[] {
  return execFileSync('docker', [
    'ps',
    '-a',
    '--filter',
    'label=dev.dativo.engine=true',
    ...(job ? ['--filter', `label=dev.dativo.job=${job}`] : []),
    '--format',
    '{{.ID}} {{.Label "dev.dativo.image"}}',
  ])
    .toString()
    .split('\n')
    .filter((l) => / dativo-test\/(airbyte-|busybox)/.test(l))
    .map((l) => l.split(' ')[0] as string);
}
