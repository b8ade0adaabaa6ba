/** Validated batch → Arrow IPC → Parquet (parquet-wasm) → DuckDB: the types a reader sees. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Table, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createValidator } from '../../../host/contract/validate.js';
import { contractOf, sourceBatch } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dativo-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Parquet round trip', () => {
  it('DuckDB reads the contract types and the exact values', async () => {
    const v = createValidator(
      contractOf([
        { name: 'id', type: { kind: 'int64' }, required: true },
        { name: 'score', type: { kind: 'float64' } },
        { name: 'price', type: { kind: 'decimal', precision: 10, scale: 2 } },
        { name: 'day', type: { kind: 'date' } },
        { name: 'modified', type: { kind: 'timestamp', utc: false } },
        { name: 'seen', type: { kind: 'timestamp', utc: true } },
        { name: 'active', type: { kind: 'bool' } },
        { name: 'name', type: { kind: 'string' } },
      ]),
      'strict',
    );
    const out = v.validate(
      sourceBatch({
        id: ['1', '9007199254740993'],
        score: ['1.5', null],
        price: ['123.45', '-0.01'],
        day: ['2024-03-01', '1969-12-31'],
        modified: ['2014-02-08 10:01:36.827', '2024-01-01T12:00:00+02:00'],
        seen: ['2024-01-01T10:00:00Z', '2024-01-01T12:00:00.123456789+02:00'],
        active: ['yes', 'f'],
        name: ['Sánchez', ''],
      }),
    );
    expect(out.issues).toEqual([]);
    const ipc = tableToIPC(new Table([out.batch]), 'stream');
    const file = join(dir, 'out.parquet');
    writeFileSync(file, pw.writeParquet(pw.Table.fromIPCStream(ipc)));

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      const path = file.replaceAll("'", "''");
      const described = (
        await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)
      ).getRowObjectsJson();
      expect(described.map((r) => [r.column_name, r.column_type])).toEqual([
        ['id', 'BIGINT'],
        ['score', 'DOUBLE'],
        ['price', 'DECIMAL(10,2)'],
        ['day', 'DATE'],
        ['modified', 'TIMESTAMP'],
        ['seen', 'TIMESTAMP WITH TIME ZONE'],
        ['active', 'BOOLEAN'],
        ['name', 'VARCHAR'],
      ]);
      const rows = (
        await conn.runAndReadAll(
          `SELECT id::VARCHAR AS id, score, price::VARCHAR AS price, day::VARCHAR AS day, modified::VARCHAR AS modified,
                  seen::VARCHAR AS seen, active, name FROM read_parquet('${path}')`,
        )
      ).getRowObjectsJson();
      expect(rows).toEqual([
        {
          id: '1',
          score: 1.5,
          price: '123.45',
          day: '2024-03-01',
          modified: '2014-02-08 10:01:36.827',
          seen: '2024-01-01 10:00:00+00',
          active: true,
          name: 'Sánchez',
        },
        {
          id: '9007199254740993',
          score: null,
          price: '-0.01',
          day: '1969-12-31',
          modified: '2024-01-01 10:00:00',
          seen: '2024-01-01 10:00:00.123456+00',
          active: false,
          name: '',
        },
      ]);
      const nullable = (
        await conn.runAndReadAll(
          `SELECT name, repetition_type FROM parquet_schema('${path}') WHERE name IN ('id', 'score')`,
        )
      ).getRowObjectsJson();
      expect(nullable).toEqual([
        { name: 'id', repetition_type: 'REQUIRED' },
        { name: 'score', repetition_type: 'OPTIONAL' },
      ]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('a sliced input batch (non-zero data offset) keeps its rows through IPC and Parquet', async () => {
    const v = createValidator(
      contractOf([
        { name: 'n', type: { kind: 'int64' } },
        { name: 's', type: { kind: 'string' } },
      ]),
      'warn',
    );
    const whole = sourceBatch({
      s: ['a', null, 'ccc', 'dd', null],
      n: ['1', '2', 'x', '4', '5'],
      extra: ['e0', 'e1', null, 'e3', 'e4'],
    });
    const sliced = { ...whole, batch: whole.batch.slice(1, 4), lines: whole.lines?.subarray(1, 4) };
    const out = v.validate(sliced);
    expect(out.issues.map((i) => [i.line, i.field, i.value])).toEqual([[4, 'n', 'x']]);
    const file = join(dir, 'sliced.parquet');
    writeFileSync(
      file,
      pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(new Table([out.batch]), 'stream'))),
    );
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const rows = (
        await conn.runAndReadAll(
          `SELECT n::VARCHAR AS n, s, extra FROM read_parquet('${file.replaceAll("'", "''")}')`,
        )
      ).getRowObjectsJson();
      expect(rows).toEqual([
        { n: '2', s: null, extra: 'e1' },
        { n: null, s: 'ccc', extra: null },
        { n: '4', s: 'dd', extra: 'e3' },
      ]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
