/**
 * A connector's stdout through a named pipe instead of Docker's attach stream. Over attach every
 * byte goes container → shim FIFO → dockerd → HTTP socket → us, and dockerd's copy alone held the
 * Airbyte path to about a fifth of what the connector can write. Here the connector writes straight
 * into a FIFO in a host directory that is bind-mounted read-only (opening a FIFO for writing works
 * on a read-only mount; creating files there does not), and we read its other end.
 *
 * The container runs `/bin/sh -c 'exec "$@" > /dativo-io/stdout' sh <its command>`: the shell
 * only redirects and is replaced by the connector, which keeps its PID (signals reach it as
 * before). Images without /bin/sh keep attach (see run.ts).
 *
 * We hold a write end of our own from the start, so the reader neither sees EOF before the
 * container opens the FIFO nor waits on a container that dies before opening it: `writerGone()`,
 * called once the container has exited, drops it, and the reader gets EOF after draining.
 *
 * Only when the FIFO can belong to the container's user alone (the host runs as root, or as that
 * same uid): a FIFO other host users could write into would let them forge records.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** Where the directory holding the FIFO is mounted in the container. */
export const IO_MOUNT = '/dativo-io';
const FIFO = 'stdout';

export interface StdoutFifo {
  /** Host directory to bind read-only at IO_MOUNT. */
  dir: string;
  /** The bytes the connector writes. Iterate once. */
  chunks: AsyncIterable<Buffer>;
  /** The container has exited: drop our write end, so the reader ends once drained. */
  writerGone(): void;
  /** Closes both ends and removes the directory. */
  dispose(): Promise<void>;
}

/** The container's entrypoint that sends `command`'s stdout into the FIFO. */
export function fifoEntrypoint(): string[] {
  return ['/bin/sh', '-c', `exec "$@" > ${IO_MOUNT}/${FIFO}`, 'sh'];
}

/** A FIFO writable by uid:gid alone, open for reading; undefined when that cannot be had here. */
export async function createStdoutFifo(uid: number, gid: number): Promise<StdoutFifo | undefined> {
  const me = process.getuid?.();
  if (me !== 0 && me !== uid) return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-engine-io-'));
  const fifo = path.join(dir, FIFO);
  try {
    // 0600 and 0500: its owner (the container's user) alone; root reads it regardless.
    await promisify(execFile)('mkfifo', ['-m', '0600', fifo]);
    if (me === 0) {
      await chown(fifo, uid, gid);
      await chown(dir, uid, gid);
    }
    await chmod(dir, 0o500);
    // Non-blocking, so opening the read end does not wait for a writer; our own write end (which
    // needs a reader to open without blocking) keeps the FIFO from reading as ended meanwhile.
    // Plain fds, not FileHandles: the socket closes the reader, and a FileHandle would close it again.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    let keepalive: number | undefined = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    // libuv reads a FIFO like a pipe: epoll, no thread pool, and pausing stops reading (backpressure).
    const socket = new net.Socket({ fd: reader, readable: true, writable: false });
    const writerGone = (): void => {
      if (keepalive === undefined) return;
      closeSync(keepalive);
      keepalive = undefined;
    };
    return {
      dir,
      chunks: socket,
      writerGone,
      async dispose() {
        writerGone();
        socket.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}
