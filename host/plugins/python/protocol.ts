/**
 * The frames between the host and the Python runner (sandbox/runner.mjs), both ways:
 *
 *     [u32 BE header length][u32 BE body length][header: UTF-8 JSON][body: bytes]
 *
 * Host → runner: requests `{op, ...}` and the answers to the runner's calls. Runner → host:
 * `{kind:'ready'}`, `{kind:'snapshot'}` (body = a Pyodide memory snapshot), `{kind:'call', op,
 * args}` (a host call from Python: log, secret, state_set, http) and `{kind:'result', ok, value |
 * error}` (body = an Arrow IPC stream for a batch). Hand-written: eight bytes of framing over a pipe
 * is less than any framing library's API.
 */

export interface Frame {
  header: Record<string, unknown>;
  body: Uint8Array;
}

export class FrameError extends Error {}

/** Largest header: a host call's arguments or a result's JSON value. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export function encodeFrame(header: unknown, body: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(h.length, 0);
  prefix.writeUInt32BE(body.length, 4);
  return Buffer.concat([prefix, h, body]);
}

/**
 * Frames out of a byte stream. `maxBodyBytes` bounds what one frame may claim, so a lying length
 * fails at once instead of waiting for (or buffering) gigabytes.
 */
export async function* readFrames(
  chunks: AsyncIterable<Buffer>,
  maxBodyBytes: number,
): AsyncGenerator<Frame> {
  // Chunks are kept in a list and joined once a whole frame is there: a 30 MB snapshot arrives in
  // hundreds of pipe reads, and joining at each read would copy it hundreds of times.
  let parts: Buffer[] = [];
  let have = 0;
  let need = 8;
  const take = (): Buffer => {
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
    parts = [all];
    return all;
  };
  for await (const chunk of chunks) {
    parts.push(chunk);
    have += chunk.length;
    while (have >= need) {
      const buf = take();
      const hLen = buf.readUInt32BE(0);
      const bLen = buf.readUInt32BE(4);
      if (hLen > MAX_HEADER_BYTES) throw new FrameError(`a frame header of ${hLen} bytes`);
      if (bLen > maxBodyBytes) throw new FrameError(`a frame body of ${bLen} bytes, over ${maxBodyBytes}`);
      need = 8 + hLen + bLen;
      if (have < need) break;
      let header: unknown;
      try {
        header = JSON.parse(buf.subarray(8, 8 + hLen).toString('utf8'));
      } catch {
        throw new FrameError('a frame header that is not JSON');
      }
      if (!header || typeof header !== 'object' || Array.isArray(header))
        throw new FrameError('a frame header that is not a JSON object');
      const body = new Uint8Array(buf.subarray(8 + hLen, need));
      const rest = buf.subarray(need);
      parts = rest.length > 0 ? [rest] : [];
      have = rest.length;
      need = 8;
      yield { header: header as Record<string, unknown>, body };
    }
  }
  if (have > 0) throw new FrameError('the runner stopped in the middle of a frame');
}
