/**
 * `--job-dir`: job files below a folder, recognised by their top-level keys (`tenant_id` plus a
 * connector path), so recipes, contracts and runner configs in the same tree are skipped. A job with
 * a YAML syntax error is still returned (recognised by its text), so its error is reported, not hidden.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { DativoError } from '../errors.js';

const SKIP_DIRS = new Set(['node_modules', '.git']);

export async function findJobFiles(dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `job folder ${dir} ${st ? 'is not a folder' : 'does not exist'} (--job-dir)`,
      { location: { file: root } },
    );
  }
  const out: string[] = [];
  for (const file of await listYaml(root)) {
    if (await looksLikeJob(file)) out.push(file);
  }
  return out.sort();
}

async function listYaml(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) out.push(...(await listYaml(full)));
    } else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(full);
  }
  return out;
}

export function isJobDocument(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  return 'tenant_id' in doc && ('source_connector_path' in doc || 'target_connector_path' in doc);
}

async function looksLikeJob(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  try {
    return isJobDocument(parse(text));
  } catch {
    return /^tenant_id\s*:/m.test(text) && /^(source|target)_connector_path\s*:/m.test(text);
  }
}
