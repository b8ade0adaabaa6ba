import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../host/engines/airbyte/messages.js';
import { applyState, connectorState } from '../../../host/engines/airbyte/state.js';
import { splitLineBatches, splitLines } from '../../../host/engines/protocol/lines.js';

async function* chunks(parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}
async function all(parts: string[], max?: number) {
  const out: [number, string][] = [];
  for await (const l of splitLines(chunks(parts), { maxLineBytes: max })) out.push([l.number, l.text]);
  return out;
}

describe('splitLines', () => {
  it('joins lines split across chunks, strips CR, skips empty lines, keeps the last unterminated line', async () => {
    expect(await all(['{"a"', ':1}\r\n\n{"b":', '2}\n{"c":3}'])).toEqual([
      [1, '{"a":1}'],
      [3, '{"b":2}'],
      [4, '{"c":3}'],
    ]);
  });
  it('splitLineBatches hands over the lines each chunk completes, numbered as splitLines does', async () => {
    const out: [number, string][][] = [];
    for await (const b of splitLineBatches(chunks(['a\nb\n\nc', 'd\n', 'e'])))
      out.push(b.map((l) => [l.number, l.text]));
    expect(out).toEqual([
      [
        [1, 'a'],
        [2, 'b'],
      ],
      [[4, 'cd']],
      [[5, 'e']],
    ]);
  });
  it('fails on a line over the limit with its number', async () => {
    await expect(all(['ok\n', 'x'.repeat(10), 'y'.repeat(10), '\n'], 15)).rejects.toThrow(
      /line 2 is longer than 15 bytes/,
    );
  });
});

describe('airbyte messages and state', () => {
  it('names the line of a malformed message', () => {
    expect(() => parseMessage('{"type":"RECORD","record":{', 7, 'airbyte x')).toThrow(
      /stdout line 7 is not a valid Airbyte message/,
    );
    expect(() => parseMessage('{"type":"NOPE"}', 2, 'airbyte x')).toThrow(/unknown message type "NOPE"/);
  });
  it('keeps the latest STREAM state per stream and hands it back as a list', () => {
    const d = (name: string, v: number) => ({ stream_descriptor: { name }, stream_state: { c: v } });
    let s = applyState(undefined, { type: 'STREAM', stream: d('a', 1) });
    s = applyState(s, { type: 'STREAM', stream: d('b', 5) });
    s = applyState(s, { type: 'STREAM', stream: d('a', 2) });
    expect(connectorState(s)).toEqual([
      { type: 'STREAM', stream: d('a', 2) },
      { type: 'STREAM', stream: d('b', 5) },
    ]);
  });
  it('passes GLOBAL back as one message and LEGACY as the bare blob', () => {
    const g = { shared_state: { x: 1 }, stream_states: [] };
    expect(connectorState(applyState(undefined, { type: 'GLOBAL', global: g }))).toEqual([
      { type: 'GLOBAL', global: g },
    ]);
    expect(connectorState(applyState(undefined, { data: { a: { c: 1 } } }))).toEqual({ a: { c: 1 } });
    expect(connectorState(undefined)).toBeUndefined();
  });
});
