/**
 * Random rows with quotes, delimiters, CRLF and newlines inside values, serialised and parsed back
 * under every chunking: values, batch splits and physical line numbers must all come out right.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBytes } from './helpers.js';
import { csvSource, readAll } from './source-helpers.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'bc', ',', '"', '\n', '\r\n', ' ', 'é', '日', 'x\\y', 'NULL', '12.5'];

interface Generated {
  text: string;
  rows: (string | null)[][];
  lines: number[];
}

/** Rows of `cols` values (null = empty unquoted, `""` or NULL: the default null literals), quoted where needed, CRLF or LF line ends. */
function generate(rows: number, cols: number, seed: number): Generated {
  const r = rng(seed);
  const header = Array.from({ length: cols }, (_, k) => `c${k}`);
  let text = `${header.join(',')}\n`;
  let line = 2;
  const out: (string | null)[][] = [];
  const lines: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row: (string | null)[] = [];
    const fields: string[] = [];
    for (let k = 0; k < cols; k++) {
      const roll = r();
      if (roll < 0.1) {
        row.push(null);
        fields.push('');
        continue;
      }
      if (roll < 0.15) {
        row.push(null); // a quoted empty field is null by default (the original's reader)
        fields.push('""');
        continue;
      }
      let v = '';
      const n = 1 + Math.floor(r() * 6);
      for (let j = 0; j < n; j++) v += PIECES[Math.floor(r() * PIECES.length)];
      row.push(v === 'NULL' ? null : v); // and so is the NULL literal
      fields.push(/[",\r\n]/.test(v) || r() < 0.2 ? `"${v.replace(/"/g, '""')}"` : v);
    }
    if (row.length === 1 && row[0] === null) {
      row[0] = 'x';
      fields[0] = 'x';
    }
    const serialised = fields.join(',');
    out.push(row);
    lines.push(line);
    const eol = r() < 0.5 ? '\r\n' : '\n';
    text += serialised + eol;
    line += (serialised.match(/\n/g)?.length ?? 0) + 1;
    if (r() < 0.05) {
      text += eol; // a blank line between rows
      line++;
    }
  }
  return { text, rows: out, lines };
}

describe('chunk boundaries', () => {
  const g = generate(400, 5, 7);
  const bytes = Buffer.from(g.text);

  for (const [chunk, batchSize] of [
    [0, 1000],
    [1, 37],
    [3, 64],
    [64, 1],
    [1000, 400],
    [4093, 399],
  ] as const) {
    it(`400 random rows in chunks of ${chunk || 'all'}, batches of ${batchSize}`, () => {
      const got = parseBytes(bytes, {}, chunk, batchSize);
      expect(got.rowErrors).toEqual([]);
      expect(got.rows).toEqual(g.rows);
      expect(got.lines).toEqual(g.lines);
      const full = Math.floor(400 / batchSize);
      expect(got.batchSizes.slice(0, full).every((n) => n === batchSize)).toBe(true);
    });
  }

  it('a file of several MiB read through the source (1 MiB reads split rows and quoted newlines)', async () => {
    const big = generate(60_000, 4, 99);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-csv-chunk-'));
    const file = path.join(dir, 'big.csv');
    writeFileSync(file, big.text);
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(2 * (1 << 20));
    const r = await readAll(csvSource([file]), {}, {}, 7000);
    expect(r.rows.length).toBe(big.rows.length);
    expect(r.rows).toEqual(big.rows);
    expect(r.lines).toEqual(big.lines);
    expect(r.batches.reduce((s, b) => s + (b.bytesRead ?? 0), 0)).toBe(Buffer.byteLength(big.text));
  });
});
