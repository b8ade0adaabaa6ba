/**
 * `target.markdown_kv_storage` (spec §13) as a stage between the source and the contract: each
 * source row becomes a Markdown-KV document (or already is one: a row with `markdown_kv_content`,
 * as the markdown_kv source yields), and each document becomes the rows of the chosen layout.
 * The job's contract describes those rows (the original's `kv_lines`/`docs` assets), so contract
 * validation, tags and the sink see ordinary rows.
 */
import type { RecordBatch } from 'apache-arrow';
import { stringify } from 'yaml';
import { cellText, toTextColumn } from '../../contract/text-column.js';
import { type JsonRecord, recordsToTextBatch } from '../api/text-batch.js';
import type { Source, SourceBatch } from '../source.js';
import type { KvLayout } from './layout.js';
import { FRONT_MATTER, type KvDocument, parseMarkdownKv } from './parse.js';

/** The original's `doc_id` candidates, first set wins (spec §13). */
const DOC_ID_KEYS = [
  'businessentityid',
  'productid',
  'customerid',
  'salesorderid',
  'addressid',
  'productcategoryid',
  'id',
  'doc_id',
];
const FRONT_MATTER_KEYS = ['doc_id', 'id', 'title'];
export const CONTENT_COLUMN = 'markdown_kv_content';

type TextRecord = Record<string, string | null>;

export function docIdOf(record: TextRecord): string {
  for (const k of DOC_ID_KEYS) {
    const v = record[k];
    if (v !== null && v !== undefined && v !== '') return v;
  }
  return 'unknown';
}

/** A record as a document: front matter for its id/title, then one `key:: value` line per field. */
export function renderRecord(record: TextRecord): string {
  const lines: string[] = [];
  const front = Object.fromEntries(FRONT_MATTER_KEYS.filter((k) => k in record).map((k) => [k, record[k]]));
  const hasFront = Object.keys(front).length > 0;
  if (hasFront) lines.push('---', stringify(front, { sortMapEntries: true }).trimEnd(), '---', '');
  for (const [key, value] of Object.entries(record)) {
    if (hasFront && FRONT_MATTER_KEYS.includes(key)) continue;
    lines.push(`${key}:: ${value ?? ''}`);
  }
  return lines.join('\n');
}

function rowPerKv(doc: KvDocument, docId: string, extractedAt: string): JsonRecord[] {
  const rows: JsonRecord[] = [];
  for (const s of doc.sections)
    for (const kv of s.kv)
      rows.push({
        doc_id: docId,
        section: s.name,
        key: kv.key,
        value: kv.value,
        value_json: kv.valueJson,
        ord: rows.length,
        extracted_at: extractedAt,
      });
  return rows;
}

function documentLevel(doc: KvDocument, docId: string, extractedAt: string): JsonRecord {
  const title = doc.frontMatter.title ?? doc.firstHeading ?? docId;
  // Sections are a JSON array (section, level, kv[key, value, value_json, ord]): the contract has no
  // nested types, and DuckDB/Spark read it with their JSON functions.
  const sections = doc.sections
    .map((s) => (s.name === FRONT_MATTER ? { ...s, kv: s.kv.filter((kv) => kv.key !== 'title') } : s))
    .filter((s) => s.kv.length > 0)
    .map((s) => ({
      section: s.name,
      level: s.level,
      kv: s.kv.map((kv) => ({ key: kv.key, value: kv.value, value_json: kv.valueJson, ord: kv.ord })),
    }));
  return { doc_id: docId, title: String(title), sections, raw_md: doc.text, extracted_at: extractedAt };
}

function textRecords(batch: RecordBatch): TextRecord[] {
  const names = batch.schema.fields.map((f) => f.name);
  const columns = batch.data.children.map((d) => toTextColumn(d));
  const out: TextRecord[] = [];
  for (let i = 0; i < batch.numRows; i++)
    out.push(Object.fromEntries(names.map((n, c) => [n, cellText(columns[c]!, i)])));
  return out;
}

const COLUMNS: Record<Exclude<KvLayout, 'raw_file' | 'hybrid'>, string[]> = {
  string: ['doc_id', CONTENT_COLUMN],
  row_per_kv: ['doc_id', 'section', 'key', 'value', 'value_json', 'ord', 'extracted_at'],
  document_level: ['doc_id', 'title', 'sections', 'raw_md', 'extracted_at'],
};

/** The rows of one source batch in the layout; `file` names the input in parse errors. */
export function layoutBatch(
  input: SourceBatch,
  layout: keyof typeof COLUMNS,
  extractedAt: string,
): SourceBatch {
  const rows: JsonRecord[] = [];
  for (const record of textRecords(input.batch)) {
    const docId = record.doc_id ?? docIdOf(record);
    const text = record[CONTENT_COLUMN] ?? renderRecord(record);
    if (layout === 'string') {
      rows.push({ doc_id: docId, [CONTENT_COLUMN]: text });
      continue;
    }
    const doc = parseMarkdownKv(text, input.origin.file ?? input.origin.stream ?? `document ${docId}`);
    if (layout === 'row_per_kv') rows.push(...rowPerKv(doc, docId, extractedAt));
    else rows.push(documentLevel(doc, docId, extractedAt));
  }
  const { lines: _rowLines, ...rest } = input;
  // One input row is one output row only in `string`; line numbers no longer map otherwise.
  const lines = layout === 'string' ? input.lines : undefined;
  return { ...rest, ...(lines ? { lines } : {}), batch: recordsToTextBatch(rows, COLUMNS[layout]) };
}

/**
 * The source with its batches laid out; every other call goes to the source unchanged. A Proxy,
 * because Source has optional members (sourceTags, runInfo...) whose presence callers test.
 */
export function withMarkdownKvStorage(inner: Source, layout: keyof typeof COLUMNS): Source {
  const extractedAt = new Date().toISOString();
  async function* read(): AsyncGenerator<SourceBatch> {
    for await (const b of inner.read()) yield layoutBatch(b, layout, extractedAt);
  }
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'read') return read;
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
