/** The stdout FIFO's host side: it ends once the container is gone, whether it wrote or not. */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStdoutFifo } from '../../../host/engines/docker/stdout-fifo.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

async function drain(chunks: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c.toString();
  return out;
}

describe('stdout FIFO', () => {
  it('a writer that never came: the stream ends once the container is reported gone', async () => {
    const fifo = await createStdoutFifo(me.uid, me.gid);
    if (!fifo) throw new Error('no FIFO');
    const text = drain(fifo.chunks);
    fifo.writerGone();
    expect(await text).toBe('');
    await fifo.dispose();
  });

  it('delivers everything a writer wrote, then ends', async () => {
    const fifo = await createStdoutFifo(me.uid, me.gid);
    if (!fifo) throw new Error('no FIFO');
    const text = drain(fifo.chunks);
    const w = await open(path.join(fifo.dir, 'stdout'), 'w');
    await w.write('a\n'.repeat(100_000));
    await w.close();
    fifo.writerGone();
    expect((await text).length).toBe(200_000);
    await fifo.dispose();
  });
});
