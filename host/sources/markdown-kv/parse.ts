/**
 * Markdown-KV documents (spec §13): optional YAML front matter between `---` lines, `#` headings
 * that open sections, and `key:: value` lines whose value continues on indented or blank lines.
 * The rules follow the original's parser so its documents yield the same pairs; where it guessed
 * silently we stop instead, naming the file and line: unclosed or invalid front matter, front
 * matter that is not a mapping, and a `:: value` line without a key.
 *
 * Hand-written because no maintained library reads this dialect (Logseq-style `key:: value`
 * properties); `yaml` parses the front matter.
 */
import { parseDocument } from 'yaml';
import { DativoError } from '../../errors.js';

export interface KvPair {
  key: string;
  value: string;
  /** The value itself when it parses as JSON (a number, an object...), else null. */
  valueJson: string | null;
  /** Position among the pairs of its section, from 0. */
  ord: number;
}

export interface KvSection {
  /** The heading text; `_front_matter` for front matter, `_default` before the first heading. */
  name: string;
  /** Heading level 1–6; 0 for front matter and `_default`. */
  level: number;
  kv: KvPair[];
}

export interface KvDocument {
  /** Front matter keys first (section `_front_matter`), then the sections in order. */
  sections: KvSection[];
  /** Front matter as parsed, for `doc_id`/`title`. */
  frontMatter: Record<string, unknown>;
  /** The first heading's text, if any. */
  firstHeading?: string;
  text: string;
}

export const FRONT_MATTER = '_front_matter';
export const DEFAULT_SECTION = '_default';

const HEADING = /^(#{1,6})\s+(.+)$/;
const KV_LINE = /^([^:]*)::\s*(.*)$/;
const FENCE = /^---\s*$/;

function parseError(file: string, line: number, message: string): DativoError {
  return new DativoError('MARKDOWN_PARSE', message, { location: { file, line } });
}

function jsonOrNull(value: string): string | null {
  if (value === '') return null;
  try {
    JSON.parse(value);
    return value;
  } catch {
    return null;
  }
}

/** A front-matter value as text: strings as written, scalars printed, maps and lists as JSON. */
function scalarText(v: unknown): { value: string; valueJson: string | null } {
  if (v === null || v === undefined) return { value: '', valueJson: null };
  if (typeof v === 'object') {
    const json = JSON.stringify(v);
    return { value: json, valueJson: json };
  }
  return { value: String(v), valueJson: null };
}

/** Splits off the front matter; returns it and the number of lines it used (0 when absent). */
function readFrontMatter(
  lines: readonly string[],
  file: string,
): { frontMatter: Record<string, unknown>; bodyStart: number } {
  if (lines.length === 0 || !FENCE.test(lines[0] as string)) return { frontMatter: {}, bodyStart: 0 };
  const close = lines.findIndex((l, i) => i > 0 && FENCE.test(l));
  if (close === -1) throw parseError(file, 1, 'front matter opened with --- is never closed by a --- line');
  const doc = parseDocument(lines.slice(1, close).join('\n'));
  const first = doc.errors[0];
  if (first) {
    // linePos counts from 1 within the front matter, which starts on the file's line 2.
    const line = 1 + (first.linePos?.[0]?.line ?? 1);
    throw parseError(file, line, `front matter is not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { frontMatter: {}, bodyStart: close + 1 };
  if (typeof value !== 'object' || Array.isArray(value))
    throw parseError(file, 2, 'front matter must be a mapping of keys to values');
  return { frontMatter: value as Record<string, unknown>, bodyStart: close + 1 };
}

/** Collects the pairs of one section's lines (the original's continuation rules). */
class PairCollector {
  readonly pairs: KvPair[] = [];
  private key: string | undefined;
  private value: string[] = [];

  constructor(private readonly file: string) {}

  line(text: string, lineNo: number): void {
    const kv = KV_LINE.exec(text);
    if (kv) {
      this.flush();
      const key = (kv[1] as string).trim();
      if (key === '') throw parseError(this.file, lineNo, '"::" without a key before it');
      this.key = key;
      const first = (kv[2] as string).trim();
      this.value = first === '' ? [] : [first];
    } else if (
      this.key !== undefined &&
      (text.startsWith(' ') || text.startsWith('\t') || text.trim() === '')
    ) {
      this.value.push(text);
    } else {
      // Prose ends the value; it is not data (the original ignored it too).
      this.flush();
    }
  }

  flush(): void {
    if (this.key === undefined) return;
    const value = this.value.join('\n').trim();
    this.pairs.push({ key: this.key, value, valueJson: jsonOrNull(value), ord: this.pairs.length });
    this.key = undefined;
    this.value = [];
  }
}

export function parseMarkdownKv(text: string, file: string): KvDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { frontMatter, bodyStart } = readFrontMatter(lines, file);
  const sections: KvSection[] = [];
  const fm = Object.entries(frontMatter).map(([key, v], ord) => ({ key, ...scalarText(v), ord }));
  if (fm.length > 0) sections.push({ name: FRONT_MATTER, level: 0, kv: fm });

  let current = { name: DEFAULT_SECTION, level: 0 };
  let collector = new PairCollector(file);
  let firstHeading: string | undefined;
  const close = (): void => {
    collector.flush();
    if (collector.pairs.length > 0) sections.push({ ...current, kv: collector.pairs });
  };
  for (let i = bodyStart; i < lines.length; i++) {
    const line = lines[i] as string;
    const heading = HEADING.exec(line);
    if (heading) {
      close();
      current = { name: (heading[2] as string).trim(), level: (heading[1] as string).length };
      firstHeading ??= current.name;
      collector = new PairCollector(file);
    } else {
      collector.line(line, i + 1);
    }
  }
  close();
  return { sections, frontMatter, ...(firstHeading !== undefined ? { firstHeading } : {}), text };
}
