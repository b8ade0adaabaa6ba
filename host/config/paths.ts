/**
 * Where a path written in a job points. Relative paths resolve against the working directory first
 * and the job file's folder second (the original used the working directory only, so jobs broke when
 * run from elsewhere). `…/connectors/X.yaml` that does not exist falls back to the bundled recipe.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: two levels above this module, in `host/` and in `dist/`. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLED_RECIPES_DIR = path.join(PACKAGE_ROOT, 'recipes');

export interface PathBase {
  cwd: string;
  /** Folder of the job file. */
  jobDir: string;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** The part of a (possibly glob) path that must exist for the path to mean anything. */
function existencePart(p: string): string {
  if (!GLOB_CHARS.test(p)) return p;
  const parts = p.split(/[\\/]/);
  const idx = parts.findIndex((s) => GLOB_CHARS.test(s));
  return parts.slice(0, idx).join(path.sep) || '.';
}

/** Absolute path for `p`: as is when absolute, else cwd if it exists there, else the job folder if it exists there, else cwd. */
export function resolvePath(p: string, base: PathBase): string {
  if (path.isAbsolute(p)) return path.normalize(p);
  const fromCwd = path.resolve(base.cwd, p);
  if (existsSync(path.resolve(base.cwd, existencePart(p)))) return fromCwd;
  const fromJob = path.resolve(base.jobDir, p);
  if (existsSync(path.resolve(base.jobDir, existencePart(p)))) return fromJob;
  return fromCwd;
}

/**
 * A recipe path: resolvePath, then `…/connectors/X.yaml` → bundled `recipes/X.yaml`.
 * Returns undefined when nothing exists.
 */
export function resolveRecipePath(p: string, base: PathBase): string | undefined {
  const resolved = resolvePath(p, base);
  if (existsSync(resolved)) return resolved;
  const parts = p.split(/[\\/]/);
  const dir = parts[parts.length - 2];
  const name = parts[parts.length - 1];
  if ((dir === 'connectors' || parts.length === 1) && name && /\.ya?ml$/.test(name)) {
    const bundled = path.join(BUNDLED_RECIPES_DIR, name.replace(/\.yml$/, '.yaml'));
    if (existsSync(bundled)) return bundled;
  }
  return undefined;
}

/** `file.py:Class` / `lib.so:factory`: resolve the file part, keep the symbol. */
export function resolveEntryPoint(spec: string, base: PathBase): string {
  const m = /^(.*?)(:[A-Za-z_][A-Za-z0-9_.]*)?$/.exec(spec);
  const file = m?.[1] ?? spec;
  const symbol = m?.[2] ?? '';
  if (!file) return spec;
  return resolvePath(file, base) + symbol;
}
