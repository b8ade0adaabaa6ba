/**
 * `dativo plugin build DIR` for a Python plugin (manifest `runtime: python`): nothing to compile
 * to wasm (Pyodide runs the source), so the build checks what it can without running the plugin
 * and writes the source's sha256 into the manifest, which `plugin test` and `plugin validate`
 * verify. The check is Python's own `compile()` of the entry file (no code runs: compile only)
 * when a `python3` is on PATH, and that the class the manifest names is defined in the file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { loadPluginManifest, MANIFEST_FILE, type PluginManifest } from '../plugins/manifest.js';
import { setManifestEntry } from './manifest-edit.js';

export interface PythonBuildResult {
  manifest: PluginManifest;
  /** Absolute path of the entry file (what "built" means here: checked and hashed). */
  wasm: string;
  sha256: string;
  bytes: number;
  ms: number;
  /** False when no python3 was found to check the syntax (the sandbox reports it at run time). */
  compiled: boolean;
}

/** Compile only: `compile()` parses the file; nothing in it runs. Prints `file:line: message`. */
const COMPILE_SCRIPT =
  'import sys\np=sys.argv[1]\ntry:\n compile(open(p,"rb").read(),p,"exec",dont_inherit=True)\n' +
  'except SyntaxError as e:\n print(f"{e.filename}:{e.lineno}: {e.__class__.__name__}: {e.msg}");sys.exit(1)';

function invalid(plugin: string, message: string, file: string): DativoError {
  return new DativoError('CONFIG_INVALID', `plugin ${plugin}: ${message}`, {
    location: { file },
  });
}

/** True when it compiled, false when there is no python3 to ask; a syntax error throws. */
function compileCheck(plugin: string, file: string): boolean {
  try {
    execFileSync('python3', ['-I', '-c', COMPILE_SCRIPT, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return true;
  } catch (e) {
    const err = e as { code?: string; stdout?: string };
    if (err.code === 'ENOENT') return false;
    const out = (err.stdout ?? '').trim() || String(e);
    throw invalid(plugin, out.replace(file, path.basename(file)), file);
  }
}

/** The class the manifest names must be defined at the top level of the entry file. */
export function checkPythonClass(manifest: PluginManifest, file: string, source: string): string {
  const cls = manifest.entry.class;
  if (!cls) {
    throw invalid(
      manifest.name,
      `entry.class is missing: name the reader class of ${manifest.entry.file} (runtime: python)`,
      file,
    );
  }
  if (!new RegExp(`^class\\s+${cls}\\b`, 'm').test(source)) {
    throw invalid(manifest.name, `${manifest.entry.file} defines no class ${cls} (entry.class)`, file);
  }
  return cls;
}

export function buildPythonPlugin(dir: string): PythonBuildResult {
  const t0 = Date.now();
  const loaded = loadPluginManifest(dir, 'reader');
  const { manifest, entryPath } = loaded;
  if (!existsSync(entryPath)) {
    throw new DativoError('CONFIG_NOT_FOUND', `plugin ${manifest.name}: ${entryPath} does not exist`, {
      location: { plugin: manifest.name },
    });
  }
  const bytes = readFileSync(entryPath);
  checkPythonClass(manifest, entryPath, bytes.toString('utf8'));
  const compiled = compileCheck(manifest.name, entryPath);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const updated = setManifestEntry(path.join(dir, MANIFEST_FILE), { sha256: digest });
  return {
    manifest: updated,
    wasm: entryPath,
    sha256: digest,
    bytes: bytes.byteLength,
    ms: Date.now() - t0,
    compiled,
  };
}
