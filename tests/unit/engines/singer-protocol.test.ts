import { describe, expect, it } from 'vitest';
import type { ContractField } from '../../../host/contract/model.js';
import { recordsToBatch } from '../../../host/engines/protocol/json-columns.js';
import type { Line } from '../../../host/engines/protocol/lines.js';
import { chooseStreams, parseCatalog, selectStreams } from '../../../host/engines/singer/catalog.js';
import { parseMessage } from '../../../host/engines/singer/messages.js';
import { type SingerLoopStats, singerBatches } from '../../../host/engines/singer/stream.js';
import { DativoError } from '../../../host/errors.js';
import { silentLogger } from '../../../host/observability/logger.js';

const f = (name: string, kind: ContractField['type']['kind'], required = false): ContractField =>
  ({
    name,
    type: { kind } as ContractField['type'],
    typeName: kind,
    required,
    constraints: {},
  }) as ContractField;

describe('singer messages', () => {
  it('parses the four message types and passes unknown ones over', () => {
    expect(parseMessage('{"type":"RECORD","stream":"s","record":{"a":1}}', 1, 't')).toEqual({
      type: 'RECORD',
      stream: 's',
      record: { a: 1 },
    });
    const schema = parseMessage(
      '{"type":"SCHEMA","stream":"s","schema":{"type":"object"},"key_properties":["id"],"bookmark_properties":["u"]}',
      2,
      't',
    );
    expect(schema).toMatchObject({ type: 'SCHEMA', keyProperties: ['id'], bookmarkProperties: ['u'] });
    expect(parseMessage('{"type":"STATE","value":{"b":{}}}', 3, 't')).toEqual({
      type: 'STATE',
      value: { b: {} },
    });
    expect(parseMessage('{"type":"ACTIVATE_VERSION","stream":"s","version":7}', 4, 't')).toEqual({
      type: 'ACTIVATE_VERSION',
      stream: 's',
      version: 7,
    });
    expect(parseMessage('{"type":"BATCH","stream":"s"}', 5, 't')).toEqual({ type: 'OTHER', name: 'BATCH' });
  });

  it('names the line of a malformed message', () => {
    const cases: [string, RegExp][] = [
      [
        '{"type": "RECORD", "stream": "s", "record": {"id": ',
        /line 12 is not a valid Singer message: invalid JSON/,
      ],
      ['[1,2]', /line 12 .*expected a JSON object/],
      ['{"stream":"s"}', /line 12 .*no "type"/],
      ['{"type":"RECORD","record":{}}', /line 12 .*RECORD without a "stream"/],
      ['{"type":"RECORD","stream":"s","record":[1]}', /line 12 .*object "record"/],
      ['{"type":"STATE","value":3}', /line 12 .*STATE without an object "value"/],
    ];
    for (const [text, re] of cases) {
      try {
        parseMessage(text, 12, 'singer tap x');
        expect.unreachable(text);
      } catch (err) {
        expect(err).toBeInstanceOf(DativoError);
        expect((err as DativoError).code).toBe('SOURCE_PROTOCOL');
        expect((err as DativoError).message).toMatch(re);
        expect((err as DativoError).location?.row).toBe(12);
      }
    }
  });
});

describe('records → Arrow', () => {
  const fields = [
    f('id', 'string'),
    f('n', 'int64'),
    f('x', 'float64'),
    f('ok', 'bool'),
    f('meta', 'json'),
    f('ts', 'timestamp'),
  ];

  it('types columns JSON carries and leaves the rest as text for the contract layer', () => {
    const b = recordsToBatch(
      [
        { id: 'a', n: 1, x: 1.5, ok: true, meta: { k: [1] }, ts: '2024-01-01T00:00:00Z', extra: 5 },
        { id: 'b', n: null, x: 2, ok: false, meta: null, ts: null },
      ],
      fields,
    );
    expect(b.numRows).toBe(2);
    expect(b.schema.fields.map((x) => `${x.name}:${x.type}`)).toEqual([
      'id:Utf8',
      'n:Int64',
      'x:Float64',
      'ok:Bool',
      'meta:Utf8',
      'ts:Utf8',
      'extra:Utf8',
    ]);
    expect(b.getChild('n')?.get(0)).toBe(1n);
    expect(b.getChild('n')?.get(1)).toBeNull();
    expect(b.getChild('meta')?.get(0)).toBe('{"k":[1]}');
    expect(b.getChild('extra')?.get(0)).toBe('5');
    expect(b.getChild('extra')?.get(1)).toBeNull();
  });

  it('falls back to text when a batch mixes JSON types, so the validator names the bad cell', () => {
    const b = recordsToBatch([{ n: 1 }, { n: 'two' }, { n: 2.5 }], [f('n', 'int64')]);
    expect(String(b.schema.fields[0]?.type)).toBe('Utf8');
    expect([0, 1, 2].map((i) => b.getChild('n')?.get(i))).toEqual(['1', 'two', '2.5']);
  });
});

async function* linesOf(texts: string[]): AsyncGenerator<Line> {
  let n = 0;
  for (const text of texts) yield { number: ++n, text };
}

const schemaLine = (s: string) => JSON.stringify({ type: 'SCHEMA', stream: s, schema: { type: 'object' } });
const rec = (s: string, id: number) =>
  JSON.stringify({ type: 'RECORD', stream: s, record: { id: String(id), n: id } });
const state = (v: number) => JSON.stringify({ type: 'STATE', value: { bookmarks: { s: v } } });
const newStats = (): SingerLoopStats => ({
  records: 0,
  dropped: 0,
  states: 0,
  schemas: new Map(),
  versions: new Map(),
});

describe('singer message loop', () => {
  it('releases a STATE only after the records before it were taken', async () => {
    const events: string[] = [];
    const gen = singerBatches(
      linesOf([
        schemaLine('s'),
        rec('s', 1),
        state(1),
        rec('s', 2),
        rec('s', 3),
        state(3),
        rec('s', 4),
        state(4),
      ]),
      {
        label: 't',
        fields: [f('id', 'string'), f('n', 'int64')],
        batchSize: 2,
        selected: new Set(['s']),
        logger: silentLogger(),
        onSafeState: (v) => events.push(`state ${JSON.stringify(v.bookmarks)}`),
      },
      newStats(),
    );
    for await (const b of gen) events.push(`batch ${b.batch.numRows} ${b.origin.stream}`);
    // state 1 follows record 1, which leaves only with the first batch (records 1-2); state 3
    // follows record 3, which leaves with the second batch (records 3-4); state 4 is then safe at once.
    expect(events).toEqual(['batch 2 s', 'state {"s":1}', 'batch 2 s', 'state {"s":3}', 'state {"s":4}']);
  });

  it('holds a STATE back while an earlier record of another stream is buffered', async () => {
    const events: string[] = [];
    const stats = newStats();
    const gen = singerBatches(
      linesOf([
        schemaLine('a'),
        schemaLine('b'),
        rec('a', 1),
        rec('b', 2),
        rec('b', 3),
        state(3),
        rec('c', 9),
      ]),
      {
        label: 't',
        fields: [f('id', 'string')],
        batchSize: 2,
        selected: new Set(['a', 'b']),
        logger: silentLogger(),
        onSafeState: (v) => events.push(`state ${JSON.stringify(v.bookmarks)}`),
      },
      stats,
    );
    for await (const b of gen) events.push(`batch ${b.batch.numRows} ${b.origin.stream}`);
    expect(events).toEqual(['batch 2 b', 'batch 1 a', 'state {"s":3}']);
    expect(stats).toMatchObject({ records: 3, dropped: 1, states: 1 });
  });

  it('fails on a RECORD before its SCHEMA and on a malformed line, naming the line', async () => {
    const run = async (texts: string[]) => {
      const opts = {
        label: 'tap',
        fields: [f('id', 'string')],
        batchSize: 10,
        selected: 'all' as const,
        logger: silentLogger(),
        onSafeState: () => {},
      };
      for await (const _ of singerBatches(linesOf(texts), opts, newStats())) {
        /* drain */
      }
    };
    await expect(run([rec('s', 1)])).rejects.toThrow(/line 1 .*RECORD for stream "s" before its SCHEMA/);
    await expect(run([schemaLine('s'), rec('s', 1), '{"type":"RECORD",'])).rejects.toThrow(
      /tap: line 3 is not a valid Singer message/,
    );
  });
});

describe('singer catalogs', () => {
  const cat = parseCatalog(
    JSON.stringify({
      streams: [
        {
          tap_stream_id: 'customers',
          replication_key: 'created',
          metadata: [{ breadcrumb: ['properties', 'id'], metadata: { inclusion: 'automatic' } }],
        },
        { stream: 'charges', metadata: [{ breadcrumb: [], metadata: { inclusion: 'available' } }] },
      ],
    }),
    't',
  );

  it('chooses the requested streams, or the only one, with clear errors otherwise', () => {
    expect(chooseStreams(cat, ['charges'], 't')).toEqual(['charges']);
    expect(() => chooseStreams(cat, [], 't')).toThrow(/offers 2 streams \(customers, charges\)/);
    expect(() => chooseStreams(cat, ['invoices'], 't')).toThrow(/invoices not in the tap's catalog/);
    expect(() => parseCatalog('{"streams": 3}', 't')).toThrow(/no "streams" list/);
  });

  it('marks selection both ways taps read it, with the replication key', () => {
    const sel = selectStreams(cat, ['customers']);
    const [c, ch] = sel.streams;
    expect(c?.selected).toBe(true);
    expect(c?.metadata?.[0]).toEqual({
      breadcrumb: [],
      metadata: { selected: true, 'replication-method': 'INCREMENTAL', 'replication-key': 'created' },
    });
    expect(c?.metadata?.[1]?.metadata.selected).toBe(true);
    expect(ch?.selected).toBe(false);
    expect(ch?.metadata?.[0]?.metadata).toEqual({ inclusion: 'available', selected: false });
  });
});
