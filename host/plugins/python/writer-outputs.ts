/**
 * The check between what a Python writer's `write_batch` calls returned and what is under its
 * output base at commit. Only when both agree are the files published: a file nobody declared
 * (a leftover, a stray temp file), a declared file that is missing or of another size, or a
 * symbolic link (never followed: it could point at anything in the sandbox) fails the run with
 * the path named, and nothing is published.
 */
import path from 'node:path';
import { DativoError } from '../../errors.js';

/** One entry of the runner's listing, relative to the output base. */
export interface OutputEntry {
  name: string;
  kind: 'file' | 'symlink' | 'other';
  size?: number;
}

/** One element of a `write_batch` result, as the plugin returned it. */
export interface ReturnedFile {
  path?: unknown;
  size_bytes?: unknown;
  record_count?: unknown;
}

function bad(plugin: string, message: string): DativoError {
  return new DativoError('PLUGIN_BAD_OUTPUT', message, { location: { plugin } });
}

/** A returned path (absolute, or relative to the output base) as a name under the base. */
function nameUnder(plugin: string, base: string, p: unknown): string {
  if (typeof p !== 'string' || p === '')
    throw bad(plugin, `write_batch returned a file without a path (${JSON.stringify(p)})`);
  const abs = path.posix.resolve(base, p);
  if (!abs.startsWith(`${base}/`))
    throw bad(plugin, `write_batch returned ${p}, which is not under the output base ${base}`);
  return abs.slice(base.length + 1);
}

export function checkOutputs(
  plugin: string,
  base: string,
  entries: readonly OutputEntry[],
  returned: readonly ReturnedFile[],
): OutputEntry[] {
  for (const e of entries) {
    if (e.kind === 'symlink')
      throw bad(plugin, `${base}/${e.name} is a symbolic link; a writer's outputs must be regular files`);
    if (e.kind !== 'file') throw bad(plugin, `${base}/${e.name} is not a regular file`);
  }
  const declared = new Map<string, unknown>();
  for (const r of returned) declared.set(nameUnder(plugin, base, r?.path), r?.size_bytes);
  const present = new Map(entries.map((e) => [e.name, e]));
  for (const e of entries) {
    if (!declared.has(e.name))
      throw bad(
        plugin,
        `${base}/${e.name} was written but not returned by write_batch; nothing was published`,
      );
  }
  for (const [name, size] of declared) {
    const e = present.get(name);
    if (!e) throw bad(plugin, `write_batch returned ${base}/${name}, which does not exist at commit`);
    if (size !== undefined && size !== null && Number(size) !== e.size)
      throw bad(
        plugin,
        `write_batch returned ${base}/${name} with size_bytes ${String(size)}, but it has ${e.size} bytes at commit`,
      );
  }
  return [...entries];
}
