import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import {
  Bool,
  DateDay,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { FieldType } from '../../../host/contract/model.js';
import { createValidator } from '../../../host/contract/validate.js';
import { createLogger } from '../../../host/observability/logger.js';
import { contractOf, type FieldSpec, fieldType, sourceBatch, utf8Data, values } from './helpers.js';

const repo = new URL('../../../', import.meta.url);

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: createLogger({ destination, level: 'debug' }), lines };
}

const people: FieldSpec[] = [
  { name: 'id', type: { kind: 'int64' }, required: true },
  { name: 'email', type: { kind: 'string' }, required: true, classification: 'PII' },
  { name: 'score', type: { kind: 'float64' } },
];

describe('strict and warn outputs', () => {
  const input = () =>
    sourceBatch({
      extra_b: ['b1', 'b2', 'b3'],
      score: ['1.5', 'high', null],
      id: ['1', null, '3'],
      email: ['a@x.io', 'b@x.io', null],
      extra_a: ['a1', 'a2', 'a3'],
    });

  it('strict: contract columns only, in contract order, required non-nullable; every issue marks the row', () => {
    const v = createValidator(contractOf(people), 'strict');
    const out = v.validate(input());
    expect(out.batch.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ['id', 'Int64', false],
      ['email', 'Utf8', false],
      ['score', 'Float64', true],
    ]);
    expect(out.invalidRows).toBe(2);
    expect(values(out.batch, 'id')).toEqual([1n, null, 3n]);
    expect(values(out.batch, 'score')).toEqual([1.5, null, null]);
    expect(out.issues).toEqual([
      {
        line: 3,
        file: 'data.csv',
        field: 'id',
        rule: 'missing_required',
        message: 'required value is missing',
      },
      {
        line: 4,
        file: 'data.csv',
        field: 'email',
        rule: 'missing_required',
        message: 'required value is missing',
      },
      {
        line: 3,
        file: 'data.csv',
        field: 'score',
        rule: 'type_mismatch',
        value: 'high',
        message: 'not a valid float64',
      },
    ]);
    expect(out.rejects).toEqual([
      {
        line: 3,
        file: 'data.csv',
        reasons: [
          { field: 'id', rule: 'missing_required', message: 'required value is missing' },
          { field: 'score', rule: 'type_mismatch', message: 'not a valid float64' },
        ],
        values: { id: null, email: '***', score: 'high' },
      },
      {
        line: 4,
        file: 'data.csv',
        reasons: [{ field: 'email', rule: 'missing_required', message: 'required value is missing' }],
        values: { id: '3', email: null, score: null },
      },
    ]);
    expect(v.summary()).toMatchObject({ rowsIn: 3, rowsValid: 1, rowsWithIssues: 2, issuesTotal: 3 });
    expect(v.summary().columnMismatch).toEqual({ missing: [], unexpected: ['extra_b', 'extra_a'] });
  });

  it('warn: all nullable, extras after the contract in first-appearance order, stable across batches', () => {
    const { logger, lines } = collectingLogger();
    const v = createValidator(contractOf(people), 'warn', { logger });
    const first = v.validate(input());
    const expectedNames = ['id', 'email', 'score', 'extra_b', 'extra_a'];
    expect(first.batch.schema.fields.map((f) => [f.name, f.nullable])).toEqual(
      expectedNames.map((n) => [n, true]),
    );
    expect(values(first.batch, 'extra_b')).toEqual(['b1', 'b2', 'b3']);
    expect(values(first.batch, 'score')).toEqual([1.5, null, null]);

    // Second batch: columns reordered, extra_b absent, a new extra_c appears.
    const second = v.validate(
      sourceBatch({ extra_c: ['c1'], extra_a: ['a9'], id: ['9'], email: ['z@x.io'], score: ['2'] }),
    );
    expect(second.batch.schema.fields.map((f) => f.name)).toEqual(expectedNames);
    expect(values(second.batch, 'extra_b')).toEqual([null]);
    expect(values(second.batch, 'extra_a')).toEqual(['a9']);
    expect(values(second.batch, 'id')).toEqual([9n]);
    expect(v.schema().fields.map((f) => f.name)).toEqual(expectedNames);
    const ignored = lines.filter((l) => l.event === 'contract_extra_column_ignored');
    expect(ignored.map((l) => l.column)).toEqual(['extra_c']);
    v.validate(sourceBatch({ extra_c: ['c2'], id: ['10'], email: ['q@x.io'], score: ['3'] }));
    expect(lines.filter((l) => l.event === 'contract_extra_column_ignored')).toHaveLength(1);
  });

  it('maps columns exactly first, then case-insensitively', () => {
    const v = createValidator(contractOf(people), 'strict');
    const out = v.validate(sourceBatch({ ID: ['5'], id: ['6'], EMAIL: ['e@x.io'], Score: ['1'] }));
    expect(values(out.batch, 'id')).toEqual([6n]);
    expect(values(out.batch, 'email')).toEqual(['e@x.io']);
    expect(values(out.batch, 'score')).toEqual([1]);
    expect(v.summary().columnMismatch).toEqual({ missing: [], unexpected: ['ID'] });
  });

  it('schema() before any batch fixes it: no extras, auto timestamps naive', () => {
    const v = createValidator(contractOf([{ name: 't', type: { kind: 'timestamp', utc: 'auto' } }]), 'warn');
    expect(String(v.schema().fields[0]?.type)).toBe('Timestamp<MICROSECOND>');
    const out = v.validate(sourceBatch({ t: ['2024-01-01T12:00:00+02:00'], more: ['m'] }));
    expect(out.batch.schema.fields.map((f) => f.name)).toEqual(['t']);
    expect(values(out.batch, 't')).toEqual([BigInt(Date.parse('2024-01-01T10:00:00Z')) * 1000n]);
  });
});

describe('masking', () => {
  it('masks sensitive values in issues, rejects and summaries, not others', () => {
    const v = createValidator(
      contractOf([
        { name: 'salary', type: { kind: 'float64' }, classification: 'sensitive' },
        {
          name: 'ssn',
          type: { kind: 'string' },
          classification: 'pii.ssn',
          constraints: { pattern: '^\\d{3}-\\d{2}-\\d{4}$' },
        },
        { name: 'city', type: { kind: 'string' }, constraints: { maxLength: 3 } },
      ]),
      'warn',
    );
    const out = v.validate(sourceBatch({ salary: ['lots'], ssn: ['123456789'], city: ['Berlin'] }));
    expect(out.issues.map((i) => [i.field, i.value])).toEqual([
      ['salary', '***'],
      ['ssn', '***'],
      ['city', 'Berlin'],
    ]);
    expect(out.rejects[0]?.values).toEqual({ salary: '***', ssn: '***', city: 'Berlin' });
    const text = JSON.stringify(v.summary());
    expect(text).not.toContain('lots');
    expect(text).not.toContain('123456789');
    expect(text).toContain('Berlin');
  });
});

describe('issue cap', () => {
  it('keeps 100 issues in full while counts stay exact', () => {
    const v = createValidator(
      contractOf([
        { name: 'n', type: { kind: 'int64' }, required: true },
        { name: 'b', type: { kind: 'bool' } },
      ]),
      'warn',
    );
    const n = 1000;
    let batchIssues = 0;
    for (let k = 0; k < 3; k++) {
      const out = v.validate(
        sourceBatch({
          n: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'x' : i % 5 === 0 ? null : String(i))),
          b: Array.from({ length: n }, () => 'maybe'),
        }),
      );
      batchIssues = out.issues.length;
      expect(out.invalidRows).toBe(n);
      expect(out.rejects).toHaveLength(n);
    }
    expect(batchIssues).toBe(100);
    const s = v.summary();
    expect(s.firstIssues).toHaveLength(100);
    // Per batch: 500 'x' (type_mismatch), 100 nulls (odd multiples of 5: 5, 15, ...), 1000 bad bools.
    expect(s.counts).toEqual([
      { field: 'n', rule: 'type_mismatch', count: 1500 },
      { field: 'n', rule: 'missing_required', count: 300 },
      { field: 'b', rule: 'type_mismatch', count: 3000 },
    ]);
    expect(s.issuesTotal).toBe(4800);
    expect(s).toMatchObject({ rowsIn: 3000, rowsValid: 0, rowsWithIssues: 3000 });
  });

  it('lists rejects in row order', () => {
    const v = createValidator(
      contractOf([
        { name: 'a', type: { kind: 'int64' } },
        { name: 'b', type: { kind: 'int64' } },
      ]),
      'warn',
    );
    const out = v.validate(sourceBatch({ a: ['1', '2', 'x'], b: ['1', 'y', '3'] }));
    expect(out.rejects.map((r) => r.line)).toEqual([3, 4]);
  });

  it('honours maxDetailedIssues', () => {
    const v = createValidator(contractOf([{ name: 'n', type: { kind: 'int64' } }]), 'warn', {
      maxDetailedIssues: 3,
    });
    const out = v.validate(sourceBatch({ n: ['a', 'b', 'c', 'd', 'e'] }));
    expect(out.issues.map((i) => i.value)).toEqual(['a', 'b', 'c']);
    expect(v.summary().issuesTotal).toBe(5);
    expect(v.summary().firstIssues).toHaveLength(3);
  });
});

describe('ragged rows from the source', () => {
  it('become ragged issues and reject lines with the raw text, counted as invalid rows', () => {
    const v = createValidator(contractOf([{ name: 'id', type: { kind: 'int64' } }]), 'strict');
    const out = v.validate(
      sourceBatch(
        { id: ['1'] },
        {
          rowErrors: [
            { line: 6, rule: 'ragged', message: 'row has 26 fields, the header has 25', raw: '1,2,3' },
          ],
        },
      ),
    );
    expect(out.invalidRows).toBe(1);
    expect(out.issues).toEqual([
      {
        field: '_row',
        rule: 'ragged',
        message: 'row has 26 fields, the header has 25',
        line: 6,
        file: 'data.csv',
      },
    ]);
    expect(out.rejects).toEqual([
      {
        reasons: [{ field: '_row', rule: 'ragged', message: 'row has 26 fields, the header has 25' }],
        values: { _raw: '1,2,3' },
        line: 6,
        file: 'data.csv',
      },
    ]);
    expect(v.summary()).toMatchObject({
      rowsIn: 2,
      rowsValid: 1,
      rowsWithIssues: 1,
      counts: [{ field: '_row', rule: 'ragged', count: 1 }],
    });
  });

  it('mask the raw text when the contract has sensitive fields', () => {
    const v = createValidator(
      contractOf([{ name: 'email', type: { kind: 'string' }, classification: 'PII' }]),
      'warn',
    );
    const out = v.validate(
      sourceBatch(
        { email: ['a@b.c'] },
        { rowErrors: [{ line: 3, rule: 'ragged', message: 'm', raw: 'x@y.z,extra' }] },
      ),
    );
    expect(out.rejects[0]?.values).toEqual({ _raw: '***' });
  });
});

describe('column mismatch (employee contract vs Employee_Complete_Dataset.csv)', () => {
  const t = (kind: string): FieldType => ({ kind }) as FieldType;
  const employee: FieldSpec[] = [
    ['employee_id', 'int64', true],
    ['first_name', 'string', true, 'PII'],
    ['last_name', 'string', true, 'PII'],
    ['email', 'string', true, 'PII'],
    ['phone_number', 'string', false, 'PII'],
    ['hire_date', 'date', true],
    ['job_id', 'string', true],
    ['salary', 'float64', true, 'SENSITIVE'],
    ['commission_pct', 'float64', false],
    ['manager_id', 'int64', false],
    ['department_id', 'int64', true],
    ['status', 'string', true],
    ['created_at', 'timestamp', true],
    ['updated_at', 'timestamp', true],
  ].map(([name, kind, required, classification]) => ({
    name: name as string,
    type: kind === 'timestamp' ? { kind: 'timestamp', utc: 'auto' } : t(kind as string),
    required: required as boolean,
    ...(classification ? { classification: classification as string } : {}),
  }));

  function csvBatches(rowsPerBatch: number, batches: number) {
    const text = readFileSync(
      new URL('tests/fixtures/data/employee/Employee_Complete_Dataset.csv', repo),
      'utf8',
    );
    const [header, ...rows] = text.trim().split('\n');
    const names = (header as string).split(',');
    return Array.from({ length: batches }, (_, b) => {
      const slice = rows.slice(b * rowsPerBatch, (b + 1) * rowsPerBatch).map((r) => r.split(','));
      const cols: Record<string, string[]> = {};
      names.forEach((n, c) => {
        cols[n] = slice.map((r) => r[c] as string);
      });
      return sourceBatch(cols, { origin: { file: 'Employee_Complete_Dataset.csv' } });
    });
  }

  it('warns once, lists missing and unexpected columns, and fails every required field', () => {
    const { logger, lines } = collectingLogger();
    const v = createValidator(contractOf(employee), 'strict', { logger });
    let invalid = 0;
    for (const b of csvBatches(100, 3)) invalid += v.validate(b).invalidRows;
    const warnings = lines.filter((l) => l.event === 'contract_column_mismatch');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe('warn');
    expect(warnings[0]?.missing).toEqual(employee.map((f) => f.name));
    const warning = warnings[0] ?? {};
    expect((warning.unexpected as string[]).slice(0, 3)).toEqual([
      'Employee_number',
      'Employee_name',
      'Employee_age',
    ]);
    expect(String(warnings[0]?.message)).toContain(
      "input columns do not match contract 'test_contract': 14 contract column(s) missing",
    );
    expect(invalid).toBe(300);
    const s = v.summary();
    expect(s.columnMismatch?.missing).toHaveLength(14);
    expect(s.columnMismatch?.unexpected).toHaveLength(19);
    // 11 required fields × 300 rows.
    expect(s.issuesTotal).toBe(3300);
    expect(s.counts.find((c) => c.field === 'employee_id')).toEqual({
      field: 'employee_id',
      rule: 'missing_required',
      count: 300,
    });
  });
});

describe('typed input columns', () => {
  it('are cast through their text form', () => {
    const schema = new Schema([
      new Field('id', new Int64(), true),
      new Field('amount', new Float64(), true),
      new Field('ts', new TimestampMillisecond('UTC'), true),
      new Field('name', new Utf8(), true),
    ]);
    const children = [
      makeData({ type: new Int64(), length: 2, data: new BigInt64Array([7n, -8n]) }),
      makeData({ type: new Float64(), length: 2, data: new Float64Array([12.25, 3]) }),
      makeData({
        type: new TimestampMillisecond('UTC'),
        length: 2,
        data: new BigInt64Array([1704103200123n, 0n]),
      }),
      utf8Data(['a', null]),
    ];
    const batch = new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children }),
    );
    const v = createValidator(
      contractOf([
        { name: 'id', type: { kind: 'int64' } },
        { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2 } },
        { name: 'ts', type: { kind: 'timestamp', utc: 'auto' } },
        { name: 'name', type: { kind: 'string' } },
      ]),
      'strict',
    );
    const out = v.validate({ batch, origin: {} });
    expect(out.issues).toEqual([]);
    expect(values(out.batch, 'id')).toEqual([7n, -8n]);
    expect(values(out.batch, 'amount')).toEqual([1225n, 300n]);
    expect(values(out.batch, 'ts')).toEqual([1704103200123000n, 0n]);
    expect((fieldType(out.batch, 2) as { timezone: string }).timezone).toBe('UTC');
    expect(values(out.batch, 'name')).toEqual(['a', null]);
  });

  it('reuse values whose Arrow type already matches, also when sliced, and check constraints via text', () => {
    const schema = new Schema([
      new Field('id', new Int64(), true),
      new Field('ts', new TimestampMicrosecond('UTC'), true),
      new Field('day', new DateDay(), true),
      new Field('ok', new Bool(), true),
    ]);
    const validity = new Uint8Array([0b1011]); // row 2 null
    const children = [
      makeData({
        type: new Int64(),
        length: 4,
        nullCount: 1,
        nullBitmap: validity,
        data: new BigInt64Array([1n, 2n, 0n, -4n]),
      }),
      makeData({
        type: new TimestampMicrosecond('UTC'),
        length: 4,
        data: new BigInt64Array([1n, 2n, 3n, 1704103200123456n]),
      }),
      makeData({ type: new DateDay(), length: 4, data: new Int32Array([0, 1, 19783, -1]) }),
      makeData({ type: new Bool(), length: 4, data: new Uint8Array([0b0101]) }),
    ];
    const whole = new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: 4, nullCount: 0, children }),
    );
    const contract = contractOf([
      { name: 'id', type: { kind: 'int64' }, required: true },
      { name: 'ts', type: { kind: 'timestamp', utc: 'auto' } },
      { name: 'day', type: { kind: 'date' } },
      { name: 'ok', type: { kind: 'bool' } },
    ]);
    const out = createValidator(contract, 'strict').validate({ batch: whole, origin: {} });
    expect(values(out.batch, 'id')).toEqual([1n, 2n, null, -4n]);
    expect(out.issues).toEqual([
      { field: 'id', rule: 'missing_required', message: 'required value is missing' },
    ]);
    expect(fieldType(out.batch, 1).timezone).toBe('UTC');
    expect(values(out.batch, 'ts')).toEqual([1n, 2n, 3n, 1704103200123456n]);
    expect(values(out.batch, 'day')).toEqual([0, 1, 19783, -1]);
    expect(values(out.batch, 'ok')).toEqual([true, false, true, false]);

    const sliced = createValidator(contract, 'strict').validate({ batch: whole.slice(1, 4), origin: {} });
    expect(values(sliced.batch, 'id')).toEqual([2n, null, -4n]);
    expect(values(sliced.batch, 'day')).toEqual([1, 19783, -1]);
    expect(values(sliced.batch, 'ok')).toEqual([false, true, false]);

    const checked = createValidator(
      contractOf([{ name: 'id', type: { kind: 'int64' }, constraints: { minimum: 0 } }]),
      'warn',
    );
    const c = checked.validate({ batch: whole, origin: {} });
    expect(values(c.batch, 'id')).toEqual([1n, 2n, null, null]);
    expect(c.issues.map((i) => [i.rule, i.value])).toEqual([['minimum', '-4']]);
  });
});
