/** Input files: explicit paths and globs expanded to sorted matches, each with its state key. */
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { InputFile } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { CheckResult } from '../source.js';

export interface CsvFile {
  path: string;
  /** The spec §9 state key: `file_<id>` for a single file with an id, else `file_<path>`. */
  stateKey: string;
  id?: string;
  size: number;
  mtimeMs: number;
}

function notFound(message: string, index: number): DativoError {
  return new DativoError('SOURCE_NOT_FOUND', message, {
    location: { keyPath: `source.files[${index}].path` },
  });
}

/** Splits `/data/in/2024-* /x.csv` into the fixed folder and the pattern below it. */
function splitGlob(pattern: string): { cwd: string; rel: string } {
  const parts = pattern.split(/[\\/]/);
  let k = 0;
  while (k < parts.length - 1 && !isDynamicPattern(parts[k] as string)) k++;
  const cwd = parts.slice(0, k).join('/') || '/';
  return { cwd, rel: parts.slice(k).join('/') };
}

async function statFile(p: string, index: number): Promise<{ size: number; mtimeMs: number }> {
  try {
    const st = await stat(p);
    if (!st.isFile()) throw notFound(`input path is not a file: ${p}`, index);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    if (err instanceof DativoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`input file not found: ${p}`, index);
    throw notFound(`input file cannot be read: ${p} (${code ?? String(err)})`, index);
  }
}

/**
 * Expands and stats every input. A missing file is SOURCE_NOT_FOUND; a glob that matches nothing
 * is SOURCE_NOT_FOUND too unless `allowEmptyGlob` (an incremental landing folder may be empty).
 */
export async function expandFiles(inputs: readonly InputFile[], allowEmptyGlob = false): Promise<CsvFile[]> {
  const out: CsvFile[] = [];
  const seen = new Set<string>();
  for (const [index, input] of inputs.entries()) {
    if (isDynamicPattern(input.path)) {
      const { cwd, rel } = splitGlob(input.path);
      const matches = (await glob(rel, { cwd, absolute: true, onlyFiles: true, expandDirectories: false }))
        .map((m) => path.normalize(m))
        .sort();
      if (matches.length === 0 && !allowEmptyGlob)
        throw notFound(`no input file matches ${input.path}`, index);
      for (const m of matches) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.push({ path: m, stateKey: `file_${m}`, ...(await statFile(m, index)) });
      }
      continue;
    }
    if (seen.has(input.path)) continue;
    seen.add(input.path);
    const file: CsvFile = {
      path: input.path,
      stateKey: `file_${input.id ?? input.path}`,
      ...(await statFile(input.path, index)),
    };
    if (input.id !== undefined) file.id = input.id;
    out.push(file);
  }
  return out;
}

/** `dativo check` for file inputs (CSV, Markdown-KV): every listed file and glob match is readable. */
export async function checkInputFiles(inputs: readonly InputFile[]): Promise<CheckResult> {
  try {
    const files = await expandFiles(inputs, false);
    for (const f of files) await access(f.path, constants.R_OK);
    return {
      status: 'success',
      message: `${files.length} file(s) found and readable`,
      details: { files: files.map((f) => f.path) },
    };
  } catch (err) {
    const e = err instanceof DativoError ? err : undefined;
    return {
      status: 'failed',
      message: e ? e.message : `cannot read input: ${(err as Error).message}`,
      errorCode: e?.code ?? 'SOURCE_NOT_FOUND',
      retryable: false,
    };
  }
}
