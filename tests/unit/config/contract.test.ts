import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../host/config/yaml-source.js';
import { contractFromSource, deterministicId, loadContract } from '../../../host/contract/load.js';
import { flatFieldType, odcsFieldType, physicalFieldType } from '../../../host/contract/types-map.js';
import { catchErr } from './helpers.js';

const load = (text: string) => contractFromSource(parseYaml(text, '/virtual/contract.yaml'));

describe('type names (architecture §7)', () => {
  it.each([
    ['string', { kind: 'string' }],
    ['TEXT', { kind: 'string' }],
    ['integer', { kind: 'int64' }],
    ['int', { kind: 'int64' }],
    ['long', { kind: 'int64' }],
    ['bigint', { kind: 'int64' }],
    ['float', { kind: 'float64' }],
    ['double', { kind: 'float64' }],
    ['number', { kind: 'float64' }],
    ['decimal(10,2)', { kind: 'decimal', precision: 10, scale: 2 }],
    ['numeric(12, 4)', { kind: 'decimal', precision: 12, scale: 4 }],
    ['boolean', { kind: 'bool' }],
    ['bool', { kind: 'bool' }],
    ['date', { kind: 'date' }],
    ['timestamp', { kind: 'timestamp', utc: 'auto' }],
    ['datetime', { kind: 'timestamp', utc: 'auto' }],
    ['array', { kind: 'json' }],
    ['object', { kind: 'json' }],
  ])('flat %s', (name, type) => expect(flatFieldType(name)).toEqual(type));

  it('unknown and malformed flat names', () => {
    expect(flatFieldType('varchar2')).toBeUndefined();
    expect(flatFieldType('decimal(50,2)')).toBeInstanceOf(Error);
    expect(flatFieldType('decimal(4,6)')).toBeInstanceOf(Error);
  });

  it.each([
    ['timestamptz', { kind: 'timestamp', utc: true }],
    ['timestamp with time zone', { kind: 'timestamp', utc: true }],
    ['TIMESTAMP(6) WITH TIME ZONE', { kind: 'timestamp', utc: true }],
    ['timestamp', { kind: 'timestamp', utc: false }],
    ['timestamp without time zone', { kind: 'timestamp', utc: false }],
    ['varchar(100)', { kind: 'string' }],
    ['double precision', { kind: 'float64' }],
    ['int8', { kind: 'int64' }],
    ['jsonb', { kind: 'json' }],
  ])('physical %s', (name, type) => expect(physicalFieldType(name)).toEqual(type));

  it('ODCS: physicalType wins, logicalType is the fallback', () => {
    expect(odcsFieldType('number', 'decimal(10,2)')).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(odcsFieldType('date', 'timestamptz')).toEqual({ kind: 'timestamp', utc: true });
    expect(odcsFieldType('date', undefined)).toEqual({ kind: 'date' });
    expect(odcsFieldType('integer', 'SOME_VENDOR_TYPE')).toEqual({ kind: 'int64' });
    expect(odcsFieldType(undefined, 'geometry')).toBeUndefined();
  });
});

describe('flat form', () => {
  it('fields, lower-cased classification, constraints from flat keys, defaults', () => {
    const c = load(`name: people
version: 1.0
schema:
  - name: id
    type: bigint
    required: true
  - name: email
    type: string
    classification: PII
    maxLength: 120
    pattern: "^.+@.+$"
    description: work email
  - name: status
    type: string
    valid_values: [active, left]
  - name: score
    type: decimal(5,2)
    minimum: 0
    maximum: 100
`);
    expect(c).toMatchObject({
      form: 'flat',
      name: 'people',
      version: '1',
      apiVersion: 'v3.0.2',
      kind: 'DataContract',
      status: 'active',
      tags: [],
    });
    expect(c.fields).toEqual([
      { name: 'id', type: { kind: 'int64' }, typeName: 'bigint', required: true, constraints: {} },
      {
        name: 'email',
        type: { kind: 'string' },
        typeName: 'string',
        required: false,
        classification: 'pii',
        description: 'work email',
        constraints: { maxLength: 120, pattern: '^.+@.+$' },
      },
      {
        name: 'status',
        type: { kind: 'string' },
        typeName: 'string',
        required: false,
        constraints: { validValues: ['active', 'left'] },
      },
      {
        name: 'score',
        type: { kind: 'decimal', precision: 5, scale: 2 },
        typeName: 'decimal(5,2)',
        required: false,
        constraints: { minimum: 0, maximum: 100 },
      },
    ]);
  });

  it('a missing id is deterministic (same name+version → same id)', () => {
    const text = 'name: a\nversion: "2"\nschema:\n  - {name: x, type: string}\n';
    expect(load(text).id).toBe(load(text).id);
    expect(load(text).id).toBe(deterministicId('a', '2'));
    expect(deterministicId('a', '2')).not.toBe(deterministicId('a', '3'));
    expect(deterministicId('a', '2')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('the legacy asset: wrapper maps governance onto the model', () => {
    const c = load(`asset:
  name: orders
  source_type: postgres
  object: db_orders
  version: "1.0"
  schema:
    - name: id
      type: bigint
  governance:
    owner: team@x.com
    tags: [orders]
    classification: [SENSITIVE]
    retention_days: 30
  finops:
    cost_center: FIN-002
    business_tags: revenue, orders
`);
    expect(c).toMatchObject({
      name: 'orders',
      sourceType: 'postgres',
      object: 'db_orders',
      owner: 'team@x.com',
      tags: ['orders'],
    });
    expect(c.compliance).toEqual({ classification: ['sensitive'], regulations: [], retentionDays: 30 });
    expect(c.finops).toEqual({ costCenter: 'FIN-002', businessTags: ['revenue', 'orders'] });
  });

  it('errors inside the wrapper name asset.schema[...] with position', async () => {
    const { first } = await catchErr(async () =>
      load('asset:\n  name: a\n  version: "1"\n  schema:\n    - name: x\n      type: money\n'),
    );
    expect(first.code).toBe('CONFIG_INVALID');
    expect(first.location).toMatchObject({
      file: '/virtual/contract.yaml',
      line: 6,
      column: 7,
      keyPath: 'asset.schema[0].type',
    });
  });

  it('all field problems at once; duplicates are an error', async () => {
    const { all } = await catchErr(async () =>
      load(
        'name: a\nversion: "1"\nschema:\n  - {name: x, type: money}\n  - {name: y}\n  - {name: z, type: int}\n  - {name: z, type: int}\n',
      ),
    );
    expect(all.map((e) => e.location?.keyPath)).toEqual([
      'schema[0].type',
      'schema[1].type',
      'schema[3].name',
    ]);
  });
});

describe('ODCS v3.0.2', () => {
  const odcs = `apiVersion: v3.0.2
kind: DataContract
id: 0b5a7e4e-1c53-4d6a-9c6e-8a2d9f1b2c3d
version: 1.2.0
status: active
domain: sales
dataProduct: orders
team:
  - username: alice@x.com
    role: owner
  - username: bob@x.com
    role: steward
schema:
  - name: orders
    physicalName: orders_v1
    properties:
      - name: order_id
        logicalType: integer
        physicalType: bigint
        required: true
      - name: amount
        logicalType: number
        physicalType: decimal(12,2)
        logicalTypeOptions: {minimum: 0}
      - name: placed_at
        logicalType: date
        physicalType: timestamptz
      - name: local_time
        logicalType: date
        physicalType: timestamp without time zone
      - name: country
        logicalType: string
        classification: Restricted
        logicalTypeOptions: {maxLength: 2, pattern: "^[A-Z]{2}$"}
        quality:
          - rule: validValues
            validValues: [DE, FR]
`;
  it('properties, precise physical types, team owner, constraints', () => {
    const c = load(odcs);
    expect(c).toMatchObject({
      form: 'odcs',
      name: 'orders',
      id: '0b5a7e4e-1c53-4d6a-9c6e-8a2d9f1b2c3d',
      version: '1.2.0',
      owner: 'alice@x.com',
      domain: 'sales',
      dataProduct: 'orders',
    });
    expect(c.fields.map((f) => [f.name, f.type])).toEqual([
      ['order_id', { kind: 'int64' }],
      ['amount', { kind: 'decimal', precision: 12, scale: 2 }],
      ['placed_at', { kind: 'timestamp', utc: true }],
      ['local_time', { kind: 'timestamp', utc: false }],
      ['country', { kind: 'string' }],
    ]);
    expect(c.fields[0]?.required).toBe(true);
    expect(c.fields[1]?.constraints).toEqual({ minimum: 0 });
    expect(c.fields[4]).toMatchObject({
      classification: 'restricted',
      constraints: { maxLength: 2, pattern: '^[A-Z]{2}$', validValues: ['DE', 'FR'] },
    });
  });

  it('an unknown type names the property key and position', async () => {
    const { first } = await catchErr(async () =>
      load(
        odcs
          .replace('physicalType: decimal(12,2)', 'physicalType: money')
          .replace('logicalType: number\n', 'logicalType: currency\n'),
      ),
    );
    expect(first.location).toMatchObject({
      line: 23,
      column: 9,
      keyPath: 'schema[0].properties[1].physicalType',
    });
    expect(first.message).toContain('unknown type "money"');
  });
});

describe('no schema', () => {
  it('a missing or empty schema is CONFIG_INVALID at schema', async () => {
    const a = await catchErr(async () => load('name: a\nversion: "1"\n'));
    expect(a.first.location).toMatchObject({ line: 1, column: 1, keyPath: 'schema' });
    const b = await catchErr(async () => load('name: a\nversion: "1"\nschema: []\n'));
    expect(b.first.location).toMatchObject({ line: 3, column: 1, keyPath: 'schema' });
  });

  it('a missing contract file is CONFIG_NOT_FOUND', async () => {
    const { first } = await catchErr(() => loadContract(path.join('/nonexistent', 'c.yaml')));
    expect(first.code).toBe('CONFIG_NOT_FOUND');
  });
});
