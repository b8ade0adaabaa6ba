/**
 * Generates the synthetic 12-column CSV used by the benchmarks and the large e2e tests
 * (~135 bytes a row: ids, names, emails, decimals, dates, timestamps, booleans).
 * Deterministic for a given seed, written as a stream so 10M rows need no memory.
 *
 *   npx tsx bench/gen-csv.ts <out.csv> <rows> [seed]
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIRST = [
  'Ana',
  'Bo',
  'Chen',
  'Dmitri',
  'Eva',
  'Farah',
  'Gustavo',
  'Hana',
  'Ivan',
  'José',
  'Kai',
  'Lena',
  'Mohammed',
  'Nora',
  'Olu',
  'Priya',
];
const LAST = [
  'García',
  'Smith',
  'Müller',
  'Kowalski',
  'Nguyen',
  'Okafor',
  'Rossi',
  'Sato',
  'Silva',
  'Johnson',
  'Novak',
  'Haddad',
];
const COUNTRIES = ['US', 'DE', 'FR', 'BR', 'IN', 'JP', 'NG', 'PL', 'ES', 'VN', 'GB', 'CA'];
const NOTES = [
  '',
  'rush order',
  'gift, wrap it',
  'call before "delivery"',
  'leave at door',
  '',
  '',
  'fragile',
];

export const HEADER =
  'order_id,customer_uuid,customer_name,email,country,amount,quantity,unit_price,is_active,order_date,updated_at,note';

/** xorshift32: fast, deterministic, good enough for test data. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((r() * 16) | 0).toString(16);
  return s;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function makeRow(i: number, r: () => number): string {
  const first = FIRST[(r() * FIRST.length) | 0]!;
  const last = LAST[(r() * LAST.length) | 0]!;
  const uuid = `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
  const amount = (r() * 10000).toFixed(2);
  const qty = 1 + ((r() * 50) | 0);
  const price = (r() * 500).toFixed(4);
  const active = r() < 0.8 ? 'true' : 'false';
  const day = 1 + ((r() * 28) | 0);
  const month = 1 + ((r() * 12) | 0);
  const year = 2015 + ((r() * 10) | 0);
  const ts = `${year}-${pad(month)}-${pad(day)} ${pad((r() * 24) | 0)}:${pad((r() * 60) | 0)}:${pad((r() * 60) | 0)}.${pad((r() * 1000) | 0, 3)}`;
  const note = NOTES[(r() * NOTES.length) | 0]!;
  return `${i},${uuid},${csvField(`${first} ${last}`)},${first.toLowerCase()}.${i}@example.com,${COUNTRIES[(r() * COUNTRIES.length) | 0]},${amount},${qty},${price},${active},${year}-${pad(month)}-${pad(day)},${ts},${csvField(note)}\n`;
}

export async function generateCsv(file: string, rows: number, seed = 42, startId = 1): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const r = rng(seed);
  out.write(`${HEADER}\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += makeRow(startId + i, r);
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, rows, seed] = process.argv.slice(2);
  if (!file || !rows) {
    console.error('usage: gen-csv.ts <out.csv> <rows> [seed]');
    process.exit(2);
  }
  await generateCsv(file, Number(rows), seed ? Number(seed) : 42);
}
