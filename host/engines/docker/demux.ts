/**
 * Docker's multiplexed attach stream (non-TTY) → stdout chunks, with stderr handed to a callback.
 * dockerode's own `demuxStream` writes into streams without honouring backpressure; this one is a
 * pull-based generator, so a slow reader leaves the socket paused and the container blocked on
 * its stdout pipe.
 *
 * Frame: 8-byte header [stream type, 0, 0, 0, payload size (uint32 BE)], then the payload.
 */

const HEADER = 8;
const STDOUT = 1;
const STDERR = 2;

export async function* demux(
  raw: AsyncIterable<Buffer>,
  onStderr: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  let header = Buffer.alloc(0);
  let type = 0;
  let remaining = 0;
  for await (const input of raw) {
    let chunk = input;
    while (chunk.length > 0) {
      if (remaining === 0) {
        const need = HEADER - header.length;
        header = Buffer.concat([header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
        if (header.length < HEADER) break;
        type = header[0] as number;
        remaining = header.readUInt32BE(4);
        header = Buffer.alloc(0);
        continue;
      }
      const take = Math.min(remaining, chunk.length);
      const payload = chunk.subarray(0, take);
      chunk = chunk.subarray(take);
      remaining -= take;
      if (type === STDOUT) yield payload;
      else if (type === STDERR) onStderr(payload);
    }
  }
}
