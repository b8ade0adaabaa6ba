/**
 * Which Parquet leaves a writer plugin may hand to an Iceberg table (plugin-footer.ts): only the
 * ones that map onto an Iceberg type without loss; and a non-Parquet output is refused by name.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Field, Int64, Schema } from 'apache-arrow';
import type { SchemaElement } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { checkOutput, icebergTypeOfLeaf } from '../../../host/sinks/iceberg/plugin-footer.js';

const leaf = (el: Partial<SchemaElement>) =>
  icebergTypeOfLeaf({ name: 'c', repetition_type: 'OPTIONAL', ...el });

describe('icebergTypeOfLeaf', () => {
  it('maps the clean physical types', () => {
    expect(leaf({ type: 'INT64' }).type).toBe('long');
    expect(leaf({ type: 'INT32' }).type).toBe('int');
    expect(leaf({ type: 'DOUBLE' }).type).toBe('double');
    expect(leaf({ type: 'BOOLEAN' }).type).toBe('boolean');
    expect(leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' }).type).toBe('string');
    expect(leaf({ type: 'BYTE_ARRAY', converted_type: 'JSON' }).type).toBe('string');
    expect(leaf({ type: 'INT32', converted_type: 'DATE' }).type).toBe('date');
    expect(leaf({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' }).type).toBe('timestamptz');
    expect(
      leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } })
        .type,
    ).toBe('timestamp');
    expect(leaf({ type: 'INT64', converted_type: 'DECIMAL', precision: 12, scale: 2 }).type).toBe(
      'decimal(12, 2)',
    );
  });

  it('refuses what does not map without loss, saying what it found', () => {
    expect(leaf({ type: 'INT64', repetition_type: 'REPEATED' })).toEqual({ found: 'repeated (list)' });
    expect(leaf({ type: 'INT64', converted_type: 'UINT_64' })).toEqual({ found: 'uint_64' });
    expect(leaf({ type: 'INT32', converted_type: 'UINT_8' })).toEqual({ found: 'uint_8' });
    expect(leaf({ type: 'INT32', converted_type: 'TIME_MILLIS' })).toEqual({ found: 'time' });
    expect(leaf({ type: 'INT96' })).toEqual({ found: 'int96' });
    expect(
      leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } }),
    ).toEqual({ found: 'timestamptz (nanoseconds)' });
    expect(leaf({ type: 'BYTE_ARRAY' })).toEqual({ found: 'binary' });
    expect(
      leaf({ type: 'FIXED_LEN_BYTE_ARRAY', converted_type: 'DECIMAL', precision: 20, scale: 2 }),
    ).toEqual({
      found: 'decimal(20, 2) (more than 15 digits)',
    });
  });
});

describe('checkOutput', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-plugin-footer-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('refuses a non-Parquet output by name', async () => {
    const file = path.join(tmp, 'orders.jsonl');
    await writeFile(file, '{"id":1}\n{"id":2}\n');
    const schema = new Schema([new Field('id', new Int64(), false)]);
    const err = await checkOutput(
      'w',
      { name: 'orders.jsonl', path: file },
      schema,
      new Set(),
      new Map(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('PLUGIN_BAD_OUTPUT');
    expect((err as DativoError).message).toBe(
      'output orders.jsonl of plugin w is not a Parquet file; an Iceberg target takes Parquet outputs only',
    );
    expect((err as DativoError).location).toEqual({ plugin: 'w', file: 'orders.jsonl' });
  });
});
