/**
 * What the sandbox is made of, found on the host: the Deno binary and Pyodide (both npm packages,
 * pinned in package.json), the runner bundled with apache-arrow by esbuild, the Python files of the
 * compatibility layer, and the cache (runner bundles and memory snapshots, by sha256).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../config/paths.js';
import { DativoError } from '../../errors.js';
import { dativoCacheDir } from '../component/transpile.js';

const SANDBOX_SRC = path.join(PACKAGE_ROOT, 'host', 'plugins', 'python', 'sandbox');
/** The Python PDK: importable in the sandbox as `dativo_pdk` (read-only, like the modules above). */
const PDK_SRC = path.join(PACKAGE_ROOT, 'plugin-pdk', 'python');
const require = createRequire(import.meta.url);

export interface RuntimeAssets {
  deno: string;
  pyodideDir: string;
  /** The bundled runner (runner.mjs + apache-arrow), one file. */
  runner: string;
  /** The compatibility modules: `[path relative to the python folder, absolute path]`. */
  pythonFiles: [string, string][];
  /** Where the memory snapshot for this Pyodide + runner lives (it may not exist yet). */
  snapshot: string;
}

function missing(what: string, hint: string): DativoError {
  return new DativoError('ENGINE_UNAVAILABLE', `the Python plugin runtime needs ${what}; ${hint}`);
}

function packageDir(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function listFiles(dir: string, rel = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.name.endsWith('.py')) out.push([r, path.join(dir, r)]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Written beside, then renamed: a concurrent start or a crash never leaves half a file. */
export function writeAtomically(file: string, data: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  try {
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

async function bundleRunner(cache: string): Promise<string> {
  const source = path.join(SANDBOX_SRC, 'runner.mjs');
  const arrowDir = packageDir('apache-arrow');
  const arrowVersion = arrowDir
    ? String(JSON.parse(readFileSync(path.join(arrowDir, 'package.json'), 'utf8')).version)
    : '';
  const key = sha256(readFileSync(source), arrowVersion).slice(0, 32);
  const out = path.join(cache, `runner-${key}.mjs`);
  if (existsSync(out)) return out;
  const { build } = await import('esbuild');
  const res = await build({
    entryPoints: [source],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // Pyodide is imported at run time from its own read-only folder, never bundled.
    external: ['/sandbox/*'],
    mainFields: ['module', 'main'],
  });
  writeAtomically(out, res.outputFiles[0]!.contents);
  return out;
}

let cached: Promise<RuntimeAssets> | undefined;

/** The assets, found once per process (the runner is bundled on first use and cached on disk). */
export function runtimeAssets(): Promise<RuntimeAssets> {
  cached ??= (async () => {
    const denoDir = packageDir('deno');
    const deno = denoDir ? path.join(denoDir, 'deno') : undefined;
    if (!deno || !existsSync(deno))
      throw missing('the deno npm package', 'run `npm ci` in the Dativo folder');
    const pyodideDir = packageDir('pyodide');
    if (!pyodideDir || !existsSync(path.join(pyodideDir, 'pyodide.asm.wasm')))
      throw missing('the pyodide npm package', 'run `npm ci` in the Dativo folder');
    const cache = path.join(dativoCacheDir(), 'python');
    const runner = await bundleRunner(cache);
    const pythonFiles = [
      ...listFiles(path.join(SANDBOX_SRC, 'py')),
      ...(existsSync(path.join(PDK_SRC, 'dativo_pdk')) ? listFiles(PDK_SRC, 'dativo_pdk') : []),
    ];
    const pyVersion = String(JSON.parse(readFileSync(path.join(pyodideDir, 'package.json'), 'utf8')).version);
    // The snapshot holds Pyodide's memory after start-up; it depends on Pyodide and the runner.
    const key = sha256(
      pyVersion,
      readFileSync(path.join(pyodideDir, 'pyodide.asm.wasm')),
      readFileSync(runner),
    );
    const snapshot = path.join(cache, `snapshot-${key}.bin`);
    return { deno, pyodideDir, runner, pythonFiles, snapshot };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
