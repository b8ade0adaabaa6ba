/**
 * zod issues → positioned DativoErrors. Every problem in a file is reported at once, each with the
 * file:line:column of the key it concerns.
 */
import type { z } from 'zod';
import { DativoError, DativoErrors, type ErrorCode } from '../errors.js';
import { formatKeyPath, type KeyPath, type YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

interface IssueOptions {
  prefix?: KeyPath;
  what: string;
  code?: ErrorCode;
  /** The keys valid at the top level, when no schema is given to look them up in. */
  knownKeys?: readonly string[];
  /**
   * The schema the issues came from: an unknown key at any depth is then matched against the keys
   * valid beside it ("did you mean"). Without it only top-level keys get a hint.
   */
  schema?: z.ZodType;
}

/** Validate `data` (found at `prefix` inside `src`); return the parsed value or throw every problem at once. */
export function parseWithPositions<T extends z.ZodType>(
  schema: T,
  data: unknown,
  src: YamlSource,
  opts: IssueOptions,
): z.output<T> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const errors = issuesToErrors(result.error.issues, src, opts);
  throw errors.length === 1 ? errors[0] : new DativoErrors(errors);
}

export function issuesToErrors(issues: readonly Issue[], src: YamlSource, opts: IssueOptions): DativoError[] {
  const prefix = opts.prefix ?? [];
  const code = opts.code ?? 'CONFIG_INVALID';
  const out: DativoError[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...(issue.path as KeyPath)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const p = [...base, key];
        const known =
          issue.path.length === 0 && opts.knownKeys
            ? opts.knownKeys
            : opts.schema
              ? keysAt(opts.schema, issue.path as KeyPath)
              : [];
        const hint = suggest(key, known);
        out.push(err(code, src, p, `unknown key "${key}" in ${opts.what}${hint}`));
      }
      continue;
    }
    out.push(err(code, src, base, describe(issue, base)));
  }
  // Stable order: by position in the file, so the first error is the first the user will meet.
  return out.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}

function err(code: ErrorCode, src: YamlSource, p: KeyPath, message: string): DativoError {
  const loc = src.locate(p);
  return new DativoError(code, message, { location: { ...loc, keyPath: formatKeyPath(p) } });
}

function describe(issue: Issue, p: KeyPath): string {
  const key = formatKeyPath(p) || '(document)';
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return `missing required key "${key}" (expected ${issue.expected})`;
      return `"${key}" must be ${article(issue.expected)}, got ${typeName(issue.input)}`;
    }
    case 'invalid_value':
      return `"${key}" must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(issue.input)}`;
    case 'too_small':
      return `"${key}" is too small: ${issue.message.replace(/^Too small: /, '')}`;
    case 'too_big':
      return `"${key}" is too big: ${issue.message.replace(/^Too big: /, '')}`;
    case 'invalid_union': {
      const input = (issue as { input?: unknown }).input;
      // A key that is absent fails every branch of its union: say what is wrong in plain words.
      if (input === undefined) return `missing required key "${key}"`;
      return `"${key}" has an invalid value (${typeName(input)}): ${issue.message}`;
    }
    default:
      return `"${key}": ${issue.message}`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The known word nearest to `word` (case-insensitive edit distance) and its distance. */
export function nearest(word: string, known: readonly string[]): { best?: string; dist: number } {
  let best: string | undefined;
  let dist = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < dist) {
      dist = d;
      best = k;
    }
  }
  return best === undefined ? { dist } : { best, dist };
}

interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  options?: unknown[];
}

const defOf = (s: unknown): SchemaDef | undefined =>
  (s as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/**
 * The keys the object schema(s) at `path` inside `schema` accept: the siblings an unknown key at
 * that depth is compared with. Walks zod's own definitions (wrappers, unions, arrays, objects).
 */
export function keysAt(schema: unknown, path: KeyPath): string[] {
  const d = defOf(schema);
  if (!d) return [];
  const [head, ...rest] = path;
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return keysAt(d.innerType, path);
    case 'pipe':
      return keysAt(d.in, path);
    case 'union':
      return [...new Set((d.options ?? []).flatMap((o) => keysAt(o, path)))];
    case 'object':
      if (head === undefined) return Object.keys(d.shape ?? {});
      return typeof head === 'string' && d.shape && head in d.shape ? keysAt(d.shape[head], rest) : [];
    case 'array':
      return typeof head === 'number' ? keysAt(d.element, rest) : [];
    default:
      return [];
  }
}

/** " (did you mean X?)" for a likely typo of a known key. */
function suggest(key: string, known: readonly string[]): string {
  const { best, dist: bestDist } = nearest(key, known);
  return best !== undefined && bestDist <= Math.max(2, Math.floor(key.length / 4))
    ? ` (did you mean "${best}"?)`
    : '';
}

/** Edit distance (Levenshtein), for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}
