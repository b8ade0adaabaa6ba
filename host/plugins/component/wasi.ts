/**
 * The WASI a component gets: clocks and random (so `Date.now()`, `performance.now()` and
 * `Math.random()` work inside it), plus the stderr stream StarlingMonkey always imports, which
 * goes to the plugin's log. No filesystem, environment, sockets, HTTP or stdin exist here: a
 * component importing one of those is refused before it starts (world.ts), and an import object
 * without them could not link anyway.
 *
 * Only the functions jco's bindings call are implemented. Pollables are always ready: a plugin
 * cannot sleep on the host's thread (the per-call timeout still ends a busy loop).
 */
import { randomBytes, randomFillSync } from 'node:crypto';

/** The interfaces (without version) the host provides to components beside dativo:plugin/host. */
export const WASI_INTERFACES = [
  'wasi:clocks/wall-clock',
  'wasi:clocks/monotonic-clock',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:io/poll',
  'wasi:io/error',
  'wasi:io/streams',
  'wasi:cli/stderr',
] as const;

class Pollable {
  ready(): boolean {
    return true;
  }
  block(): void {}
}

class IoError {
  toDebugString(): string {
    return 'stream error';
  }
}

const MAX_STDERR_LINE = 4096;

/** A write-only stream whose lines go to `sink` (the plugin's log: masked and capped there). */
class LineStream {
  private pending = '';
  private readonly dec = new TextDecoder();

  constructor(private readonly sink: (line: string) => void) {}

  checkWrite(): bigint {
    return 1n << 20n;
  }
  write(contents: Uint8Array): void {
    this.pending += this.dec.decode(contents, { stream: true });
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      this.sink(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf('\n');
    }
    if (this.pending.length > MAX_STDERR_LINE) this.flush();
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
    this.flush();
  }
  flush(): void {
    if (this.pending) this.sink(this.pending);
    this.pending = '';
  }
  blockingFlush(): void {
    this.flush();
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

class NoInput {
  read(): Uint8Array {
    throw { tag: 'closed' };
  }
  blockingRead(): Uint8Array {
    throw { tag: 'closed' };
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** The import object entries for the WASI interfaces above, keyed without and with `version`. */
export function wasiImports(stderr: (line: string) => void): Record<string, Record<string, unknown>> {
  const start = process.hrtime.bigint();
  const err = new LineStream(stderr);
  const byName: Record<(typeof WASI_INTERFACES)[number], Record<string, unknown>> = {
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint() - start,
      resolution: () => 1n,
      subscribeInstant: () => new Pollable(),
      subscribeDuration: () => new Pollable(),
    },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => randomBytes(Number(len)),
      getRandomU64: () => randomFillSync(new BigUint64Array(1))[0] as bigint,
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => randomBytes(Number(len)),
      getInsecureRandomU64: () => randomFillSync(new BigUint64Array(1))[0] as bigint,
    },
    'wasi:random/insecure-seed': {
      insecureSeed: () => {
        const [a, b] = randomFillSync(new BigUint64Array(2));
        return [a, b];
      },
    },
    'wasi:io/poll': { Pollable, poll: (list: unknown[]) => Uint32Array.from(list.keys()) },
    'wasi:io/error': { Error: IoError },
    'wasi:io/streams': { InputStream: NoInput, OutputStream: LineStream },
    'wasi:cli/stderr': { getStderr: () => err },
  };
  return byName;
}
