/**
 * YAML files with their source positions kept, so every config error can name file:line:column.
 * One idea: parse once, then answer "where is key path X?" for any path inside the document.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { DativoError, DativoErrors, type Location } from '../errors.js';

export type PathSegment = string | number;
export type KeyPath = PathSegment[];

export interface YamlSource {
  /** Absolute path of the file. */
  file: string;
  /** The plain JS value of the document (null for an empty file). */
  data: unknown;
  /** Position of a key path; falls back to the nearest ancestor that exists, then to 1:1. */
  locate(keyPath: KeyPath | string): Location;
  /** Does the document contain this exact key path? */
  has(keyPath: KeyPath | string): boolean;
}

/** `source.files[0].path` → ['source', 'files', 0, 'path']. Keys containing dots are not supported. */
export function parseKeyPath(keyPath: string): KeyPath {
  const out: KeyPath = [];
  for (const part of keyPath.split('.')) {
    if (part === '') continue;
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** ['source', 'files', 0, 'path'] → `source.files[0].path`. */
export function formatKeyPath(keyPath: readonly PathSegment[]): string {
  let out = '';
  for (const seg of keyPath) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function toPath(keyPath: KeyPath | string): KeyPath {
  return typeof keyPath === 'string' ? parseKeyPath(keyPath) : keyPath;
}

/** Parse YAML text; syntax errors become YAML_SYNTAX with the position of each problem. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      // The library appends "at line N, column M:" and a code frame; we print our own position.
      const message = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.message;
      return new DativoError('YAML_SYNTAX', `YAML syntax error: ${message}`, {
        location: { file, line: pos.line, column: pos.col },
      });
    });
    throw errors.length === 1 ? errors[0] : new DativoErrors(errors);
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  return makeSource(file, doc, lineCounter, data);
}

/** Read and parse a YAML file. A missing file is CONFIG_NOT_FOUND (the caller adds which key named it). */
export async function loadYamlFile(file: string, referencedFrom?: Location): Promise<YamlSource> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (cause) {
    throw new DativoError('CONFIG_NOT_FOUND', `file not found: ${abs}`, {
      location: referencedFrom ?? { file: abs },
      cause,
    });
  }
  return parseYaml(text, abs);
}

function makeSource(file: string, doc: Document, lc: LineCounter, data: unknown): YamlSource {
  const position = (offset: number): { line: number; column: number } => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };

  /** Walk as far as the path exists; return the position of the deepest key found and how deep it got. */
  const walk = (keyPath: KeyPath): { offset: number | undefined; depth: number } => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
    let depth = 0;
    for (const seg of keyPath) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as Node | null;
        offset = keyNode?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (item === undefined) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
      depth++;
    }
    return { offset, depth };
  };

  return {
    file,
    data,
    locate(keyPath) {
      const p = toPath(keyPath);
      const { offset } = walk(p);
      const pos = offset === undefined ? { line: 1, column: 1 } : position(offset);
      return { file, ...pos, keyPath: formatKeyPath(p) };
    },
    has(keyPath) {
      const p = toPath(keyPath);
      return walk(p).depth === p.length;
    },
  };
}

function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}
