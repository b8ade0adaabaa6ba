/**
 * Turns file bytes in the configured encoding into UTF-8 bytes for the parser. A byte-order mark
 * always wins over the configured encoding and is stripped. UTF-8 input passes through untouched
 * (zero copy); anything else is transcoded chunk by chunk with a streaming TextDecoder.
 * Web APIs only, so it can run in a worker.
 */
import type { CsvEncoding } from './options.js';

export interface ByteDecoder {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function bomOf(head: Uint8Array): { encoding: CsvEncoding; length: number } | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

function labelOf(enc: CsvEncoding): string | undefined {
  if (enc === 'utf-8') return undefined;
  if (enc === 'utf-16' || enc === 'utf-16le') return 'utf-16le';
  if (enc === 'utf-16be') return 'utf-16be';
  return enc.label;
}

export function createByteDecoder(configured: CsvEncoding): ByteDecoder {
  let head: Uint8Array | undefined = EMPTY; // bytes held until the BOM question is settled
  let text: InstanceType<typeof TextDecoder> | undefined;

  const convert = (bytes: Uint8Array, last: boolean): Uint8Array => {
    if (!text) return bytes;
    const s = text.decode(bytes, { stream: !last });
    return s.length === 0 ? EMPTY : encoder.encode(s);
  };

  const settle = (bytes: Uint8Array, last: boolean): Uint8Array => {
    const bom = bomOf(bytes);
    const label = labelOf(bom ? bom.encoding : configured);
    // ignoreBOM: exactly one mark is removed, by us; a second one is data.
    if (label) text = new TextDecoder(label, { ignoreBOM: true });
    head = undefined;
    return convert(bom ? bytes.subarray(bom.length) : bytes, last);
  };

  return {
    push(chunk) {
      if (head === undefined) return convert(chunk, false);
      const joined = head.length === 0 ? chunk : concat(head, chunk);
      if (joined.length < 3) {
        head = joined.slice();
        return EMPTY;
      }
      return settle(joined, false);
    },
    end() {
      if (head !== undefined) return settle(head, true);
      return convert(EMPTY, true);
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
