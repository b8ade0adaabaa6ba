/** Encodings: BOMs win and are stripped, UTF-16 both ways, split multi-byte characters. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { createByteDecoder } from '../../../host/sources/csv/decode.js';
import { parseEncoding } from '../../../host/sources/csv/options.js';
import { parseBytes } from './helpers.js';
import { csvSource, readAll } from './source-helpers.js';

const TEXT = 'id,name\r\n1,Zoë\r\n2,"日本, 東京"\r\n3,😀 ok\r\n';
const ROWS = [
  ['1', 'Zoë'],
  ['2', '日本, 東京'],
  ['3', '😀 ok'],
];

function utf16be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

function decodeInChunks(bytes: Uint8Array, encoding: string, chunk: number): string {
  const d = createByteDecoder(parseEncoding(encoding));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(d.push(bytes.subarray(i, i + chunk)));
  parts.push(d.end());
  return Buffer.concat(parts).toString('utf8');
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-csv-enc-'));
function tmpFile(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

describe('byte decoder', () => {
  for (const chunk of [1, 2, 3, 5, 1 << 16]) {
    it(`UTF-16 BE with BOM, chunks of ${chunk}: the BOM wins over the configured utf-8 and is stripped`, () => {
      const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]);
      expect(decodeInChunks(bytes, 'utf-8', chunk)).toBe(TEXT);
    });
    it(`UTF-16 LE with BOM, chunks of ${chunk}`, () => {
      const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
      expect(decodeInChunks(bytes, 'utf-16', chunk)).toBe(TEXT);
    });
    it(`UTF-8 with BOM, chunks of ${chunk}: passes through without the BOM`, () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]);
      expect(decodeInChunks(bytes, 'utf-16-le', chunk)).toBe(TEXT);
    });
  }

  it('UTF-16 BE without a BOM when configured', () => {
    expect(decodeInChunks(utf16be(TEXT), 'utf_16_be', 3)).toBe(TEXT);
  });

  it('only one BOM is removed; a second is data', () => {
    const bytes = Buffer.from('\uFEFF\uFEFFa', 'utf8');
    expect(decodeInChunks(bytes, 'utf-8', 1)).toBe('\uFEFFa');
  });

  it('latin-1 via TextDecoder', () => {
    expect(decodeInChunks(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'latin-1', 1)).toBe('café');
  });

  it('rejects an unknown encoding as CONFIG_INVALID', () => {
    expect(() => parseEncoding('klingon-8')).toThrow(DativoError);
    expect(() => parseEncoding('klingon-8')).toThrow(/unknown encoding "klingon-8"/);
  });
});

describe('encoded files through the source', () => {
  it('UTF-16 BE file with BOM: header and values intact', async () => {
    const file = tmpFile('be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]));
    const r = await readAll(csvSource([file], { encoding: 'utf-16-be' }), {}, {}, 2);
    expect(r.columns).toEqual(['id', 'name']);
    expect(r.rows).toEqual(ROWS);
    expect(r.lines).toEqual([2, 3, 4]);
    expect(r.batches.map((b) => b.batch.numRows)).toEqual([2, 1]);
  });

  it('UTF-8 file with BOM: the first header name carries no BOM', async () => {
    const file = tmpFile('bom8.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]));
    const r = await readAll(csvSource([file]));
    expect(r.columns).toEqual(['id', 'name']);
    expect(r.columns[0]?.length).toBe(2);
    expect(r.rows).toEqual(ROWS);
  });

  it('UTF-8 without BOM, parsed in 1-byte chunks: multi-byte characters split across chunks survive', () => {
    const got = parseBytes(Buffer.from(TEXT), {}, 1, 1);
    expect(got.rows).toEqual(ROWS);
  });
});
