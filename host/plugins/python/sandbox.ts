/**
 * The jail of one Python plugin process. bubblewrap: new user/pid/ipc/uts/cgroup/network
 * namespaces, an empty environment, no home, a read-only root that holds only /usr (for the
 * Deno binary's libc) and, under /sandbox, read-only binds of Deno, Pyodide, the runner bundle,
 * the compatibility modules, the plugin file and the files the job grants; nothing else of the
 * host. Inside, Deno runs with every permission denied except reading /sandbox, no remote or npm
 * imports and no config file. Deno's own `--deny-read` does not cover static imports, which is
 * why the file isolation is bubblewrap's; the runner is the only script and it is ours.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs, findBwrap } from '../../engines/bwrap/index.js';
import { DativoError } from '../../errors.js';
import type { RuntimeAssets } from './assets.js';

export interface SandboxFile {
  /** File on the host (read-only bind). */
  host: string;
  /** Where Python sees it (copied into Pyodide's in-memory filesystem at start-up). */
  python: string;
}

export interface PythonSandbox {
  argv: string[];
  /** Removes the host-side folder holding boot.json. */
  cleanup(): void;
}

export interface SandboxSpec {
  assets: RuntimeAssets;
  /** Files Python sees: the plugin file and the granted input files. */
  files: SandboxFile[];
  /** Start from the cached snapshot (it exists), or make one (it does not). */
  useSnapshot: boolean;
  /** V8 heap of the runner (MiB). */
  heapMb: number;
}

const PY_DIR = '/dativo/py';

export function pythonSandbox(spec: SandboxSpec): PythonSandbox {
  const bwrap = findBwrap();
  if (!bwrap) {
    throw new DativoError(
      'ENGINE_UNAVAILABLE',
      'Python plugins run under bubblewrap, which is not installed (Debian: apt-get install bubblewrap)',
    );
  }
  const { assets } = spec;
  const binds = [
    { host: assets.deno, inside: '/sandbox/deno' },
    { host: assets.pyodideDir, inside: '/sandbox/pyodide' },
    { host: assets.runner, inside: '/sandbox/runner.mjs' },
  ];
  const copies: { host: string; inside: string }[] = [];
  assets.pythonFiles.forEach(([rel, abs], i) => {
    binds.push({ host: abs, inside: `/sandbox/py/${i}.py` });
    copies.push({ host: `/sandbox/py/${i}.py`, inside: `${PY_DIR}/${rel}` });
  });
  spec.files.forEach((f, i) => {
    binds.push({ host: f.host, inside: `/sandbox/files/${i}` });
    copies.push({ host: `/sandbox/files/${i}`, inside: f.python });
  });
  if (spec.useSnapshot) binds.push({ host: assets.snapshot, inside: '/sandbox/snapshot.bin' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-py-'));
  const boot = path.join(dir, 'boot.json');
  writeFileSync(
    boot,
    JSON.stringify({
      files: copies,
      pythonPath: PY_DIR,
      snapshot: spec.useSnapshot,
      makeSnapshot: !spec.useSnapshot,
    }),
  );
  binds.push({ host: boot, inside: '/sandbox/boot.json' });
  const deno = [
    '/sandbox/deno',
    'run',
    '--no-prompt',
    '--no-remote',
    '--no-npm',
    '--no-config',
    '--no-lock',
    '--allow-read=/sandbox',
    '--deny-write',
    '--deny-net',
    '--deny-env',
    '--deny-run',
    '--deny-ffi',
    '--deny-sys',
    `--v8-flags=--max-old-space-size=${spec.heapMb}`,
    '/sandbox/runner.mjs',
  ];
  const argv = [
    bwrap,
    ...bwrapArgs({
      argv: deno,
      readOnly: binds,
      // Deno's cache lives in the sandbox's private /tmp and goes with it.
      env: { DENO_DIR: '/tmp/deno', NO_COLOR: '1' },
      tmpMb: 64,
    }),
  ];
  return {
    argv,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
