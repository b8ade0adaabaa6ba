/**
 * The native markdown_kv source: each input file is one Markdown-KV document and one row: `doc_id`,
 * `title`, every key of its front matter and sections (the first occurrence of a repeated key
 * wins; `structured` storage keeps them all), and the document itself as `markdown_kv_content`.
 * Files are listed, globbed and tracked (`file_modified_time`) exactly like CSV inputs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSource } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { adoptOriginalFileKeys } from '../../state/original.js';
import { type JsonRecord, recordsToTextBatch } from '../api/text-batch.js';
import { type CsvFile, checkInputFiles, expandFiles } from '../csv/files.js';
import { fileEntry, isUnchanged } from '../csv/state.js';
import type { Source, SourceBatch, SourceOpenContext, SourceState } from '../source.js';
import { type KvDocument, parseMarkdownKv } from './parse.js';
import { CONTENT_COLUMN } from './storage.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readDocument(file: CsvFile): Promise<string> {
  const bytes = await readFile(file.path);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DativoError('MARKDOWN_PARSE', `${file.path}: not valid UTF-8 text`, {
      location: { file: file.path },
    });
  }
}

/** `doc_id` of a document: front matter `doc_id`, then `id`, then the files[] `id`, then the file name. */
function docIdOf(doc: KvDocument, file: CsvFile): string {
  const fm = doc.frontMatter;
  const v = fm.doc_id ?? fm.id ?? file.id ?? path.basename(file.path, path.extname(file.path));
  return String(v);
}

export function documentRecord(doc: KvDocument, file: CsvFile): JsonRecord {
  const record: JsonRecord = { doc_id: docIdOf(doc, file), title: doc.frontMatter.title ?? doc.firstHeading };
  for (const s of doc.sections)
    for (const kv of s.kv) if (!(kv.key in record)) record[kv.key] = kv.value === '' ? null : kv.value;
  record[CONTENT_COLUMN] = doc.text;
  return record;
}

export function createMarkdownKvSource(source: ResolvedSource): Source {
  const incremental = source.incremental?.strategy === 'file_modified_time' ? source.incremental : undefined;
  let toRead: CsvFile[] = [];
  let skippedAll = false;
  let previous: SourceState = {};
  const completed: SourceState = {};

  return {
    kind: 'markdown_kv',

    async open(context: SourceOpenContext) {
      const files = await expandFiles(source.files, incremental !== undefined);
      previous = adoptOriginalFileKeys({ ...context.state }, files, [process.cwd()]);
      const lookback = incremental?.lookbackDays ?? 0;
      toRead = incremental ? files.filter((f) => !isUnchanged(f, previous, lookback)) : files;
      skippedAll = incremental !== undefined && toRead.length === 0;
    },

    async *read(): AsyncGenerator<SourceBatch> {
      // One batch per document, so a contract issue names its file.
      for (const file of toRead) {
        const text = await readDocument(file);
        const record = documentRecord(parseMarkdownKv(text, file.path), file);
        yield {
          batch: recordsToTextBatch([record], Object.keys(record)),
          lines: Int32Array.of(1),
          origin: { file: file.path },
          bytesRead: file.size,
        };
        if (incremental) completed[file.stateKey] = fileEntry(file);
      }
    },

    checkpoint: () => ({ ...previous, ...completed }),
    nothingNew: () => skippedAll,

    check: () => checkInputFiles(source.files),

    async discover() {
      const files = await expandFiles(source.files, true);
      return {
        objects: files.map((f) => ({ name: path.basename(f.path), type: 'document', path: f.path })),
        metadata: { connector: 'markdown_kv' },
      };
    },

    async close() {},
  };
}
