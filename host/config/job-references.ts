/**
 * What `validate` checks beyond the loader's phases, straight on the job file so it runs even when
 * an earlier phase fails: connector names the registry does not know (with the nearest known name)
 * and input files that do not exist. The loader stops at the first failing phase; these problems
 * are independent of it, so `validate` can report them together with whatever the loader found.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { DativoError } from '../errors.js';
import { type PathBase, resolvePath } from './paths.js';
import type { Registry } from './registry.js';
import type { YamlSource } from './yaml-source.js';

const GLOB_OR_VARIABLE = /[*?[\]{}$]/;

/** "did you mean …" when a known name is close enough to be a typo (at most a third of its letters). */
export function nearestName(name: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(name, known);
  return distance(name, best) <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

function unknownConnectors(doc: YamlSource, registry: Registry): DativoError[] {
  const data = doc.data as Record<string, unknown>;
  const known = Object.keys(registry.connectors).sort();
  const errors: DativoError[] = [];
  for (const key of ['source_connector', 'target_connector']) {
    const name = data[key];
    if (typeof name !== 'string' || GLOB_OR_VARIABLE.test(name) || name in registry.connectors) continue;
    const near = nearestName(name, known);
    errors.push(
      new DativoError(
        'REGISTRY_INVALID',
        `unknown connector "${name}"${near ? ` (did you mean "${near}"?)` : ''}; known connectors: ${known.join(', ')}`,
        { location: doc.locate([key]) },
      ),
    );
  }
  return errors;
}

function missingInputs(doc: YamlSource, base: PathBase): DativoError[] {
  const files = (doc.data as { source?: { files?: unknown } }).source?.files;
  if (!Array.isArray(files)) return [];
  const errors: DativoError[] = [];
  files.forEach((entry, i) => {
    const p = (entry as { path?: unknown } | null)?.path;
    // Globs may match files that appear later and variables are the loader's to expand.
    if (typeof p !== 'string' || GLOB_OR_VARIABLE.test(p)) return;
    if (existsSync(resolvePath(p, base))) return;
    const looked = path.isAbsolute(p) ? '' : ` (looked in ${base.cwd} and ${base.jobDir})`;
    errors.push(
      new DativoError('SOURCE_NOT_FOUND', `input file does not exist: ${p}${looked}`, {
        location: doc.locate(['source', 'files', i, 'path']),
      }),
    );
  });
  return errors;
}

/** Unknown connector names and missing input files of one job document. */
export function checkJobReferences(doc: YamlSource, registry: Registry, cwd: string): DativoError[] {
  if (!doc.data || typeof doc.data !== 'object') return [];
  const base: PathBase = { cwd, jobDir: path.dirname(doc.file) };
  return [...unknownConnectors(doc, registry), ...missingInputs(doc, base)];
}
