/**
 * `npm run deps` (dependency-cruiser with .dependency-cruiser.cjs) must fail on what it guards
 * against: here on small trees written for the purpose, one with the import cycle main had
 * (a type import one way, a dynamic import() the other) and one with an import against the layers.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Writes `files` (path → source) under a temp root with a tsconfig, runs depcruise there. */
async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dativo-deps-'));
  dirs.push(root);
  const tsconfig = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } };
  await writeFile(path.join(root, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  const bin = path.join(REPO, 'node_modules/.bin/depcruise');
  const args = ['host', '--config', path.join(REPO, '.dependency-cruiser.cjs'), '--output-type', 'err'];
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: root });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('the dependency check', () => {
  it('reports the cycle main had: a type import one way, a dynamic import() back', async () => {
    const { code, out } = await cruise({
      'host/pipeline/connectors.ts':
        "export type SinkSettings = { runId: string };\nexport const sink = () => import('../sinks/iceberg/index.js');\n",
      'host/sinks/iceberg/index.ts':
        "import type { SinkSettings } from '../../pipeline/connectors.js';\nexport const open = (s: SinkSettings) => s.runId;\n",
    });
    expect(code).not.toBe(0);
    // Each edge alone is invisible to a check that skips type-only or dynamic imports.
    expect(out).toMatch(
      /no-circular: host\/pipeline\/connectors\.ts →\s+host\/sinks\/iceberg\/index\.ts →\s+host\/pipeline\/connectors\.ts/,
    );
  }, 60_000);

  it('reports an import from a lower layer into a higher one, also a type-only one', async () => {
    const { code, out } = await cruise({
      'host/state/reconcile.ts':
        "import type { CommitRecord } from '../sinks/sink.js';\nexport type R = CommitRecord;\n",
      'host/sinks/sink.ts': 'export interface CommitRecord { runId: string }\n',
    });
    expect(code).not.toBe(0);
    expect(out).toMatch(
      /layer-contract-tags-state-secrets-observability: host\/state\/reconcile\.ts → host\/sinks\/sink\.ts/,
    );
  }, 60_000);

  it('passes a tree whose imports point down', async () => {
    const { code, out } = await cruise({
      'host/sinks/sink.ts': "import type { S } from '../state/types.js';\nexport type C = { s: S };\n",
      'host/state/types.ts': 'export type S = Record<string, unknown>;\n',
    });
    expect(out).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  }, 60_000);
});
