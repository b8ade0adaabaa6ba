import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CopyDataTap } from '../../../host/sources/postgres/copy-out.js';

/** A backend message: type byte, int32 length (counting itself), payload. */
function message(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** A socket stand-in: what the tap needs of pg's stream. */
class FakeStream extends EventEmitter {
  pause(): void {}
  resume(): void {}
}

describe('CopyDataTap', () => {
  // CopyOutResponse, rows of every size around the chunk sizes below, CopyDone, CommandComplete,
  // ReadyForQuery, then a message that belongs to the next query.
  const rows = Array.from({ length: 40 }, (_, i) => Buffer.alloc(i * 3 + 1, i));
  const before = message('H', Buffer.from([0, 0, 0]));
  const after = [
    message('c', Buffer.alloc(0)),
    message('C', Buffer.from('COPY 40\0')),
    message('Z', Buffer.from('I')),
  ];
  const next = message('T', Buffer.from('next query'));
  const wire = Buffer.concat([before, ...rows.map((r) => message('d', r)), ...after, next]);

  for (const size of [1, 2, 4, 5, 6, 7, 13, 64, wire.length]) {
    it(`decodes CopyData in place and forwards everything else whole and in order (chunks of ${size})`, () => {
      const stream = new FakeStream();
      const forwarded: Buffer[] = [];
      const payloads: Buffer[] = [];
      let tap: CopyDataTap | undefined;
      const pg = (chunk: Buffer) => {
        forwarded.push(Buffer.from(chunk));
        // pg ends the query (and the tap) when it parses ReadyForQuery, inside this call.
        if (Buffer.concat(forwarded).includes(after[2] as Buffer)) tap?.detach();
      };
      stream.on('data', pg);
      type TapStream = ConstructorParameters<typeof CopyDataTap>[0];
      tap = new CopyDataTap(stream as unknown as TapStream, pg, (chunk, start, end) =>
        payloads.push(Buffer.from(chunk.subarray(start, end))),
      );
      expect(stream.listeners('data')).toHaveLength(1);
      for (let i = 0; i < wire.length; i += size) stream.emit('data', wire.subarray(i, i + size));

      expect(payloads).toEqual(rows);
      expect(Buffer.concat(forwarded)).toEqual(Buffer.concat([before, ...after, next]));
      // pg has its socket back.
      expect(stream.listeners('data')).toEqual([pg]);
    });
  }
});
