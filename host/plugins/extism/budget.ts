/**
 * Bytes the host allocates on the plugin's behalf outside its linear memory: kernel blocks (guest
 * `alloc`, `bulk_store`, host-function results) and vars. The JS kernel of Extism 1.0.3 gives
 * every block its own ArrayBuffer with no limit, so without this a guest could exhaust the host's
 * memory with an `alloc` loop while its own linear memory stays small.
 *
 * Blocks live until the end of the call (the host resets the kernel after each call); a block the
 * guest frees is credited back when the budget would otherwise be exceeded.
 */

/** The part of Extism's CallContext we use (its class is not exported by 1.0.3). */
export interface KernelContext {
  alloc(size: number | bigint): bigint;
  read(addr: bigint): { bytes(): Uint8Array; string(): string; byteLength: number } | null;
  store(input: Uint8Array | string): bigint;
  length(addr: bigint): bigint;
}

export class HostLimitError extends Error {
  constructor(
    readonly capability: 'kernel-memory' | 'output' | 'memory' | 'host',
    readonly resource: string,
    message: string,
  ) {
    super(message);
  }
}

export class KernelBudget {
  private live = new Map<bigint, number>();
  private blockBytes = 0;
  private varBytes = 0;
  peak = 0;

  constructor(
    readonly limit: number,
    private readonly plugin: string,
  ) {}

  get used(): number {
    return this.blockBytes + this.varBytes;
  }

  private ensure(n: number, ctx: KernelContext): void {
    if (this.used + n <= this.limit) return;
    // Credit blocks the guest has freed (a freed block reads as length 0).
    for (const [h, size] of this.live) {
      if (size > 0 && ctx.length(h) === 0n) {
        this.blockBytes -= size;
        this.live.delete(h);
      }
    }
    if (this.used + n > this.limit) {
      throw new HostLimitError(
        'kernel-memory',
        `${n} bytes`,
        `plugin ${this.plugin}: kernel memory budget exceeded (capability kernel-memory, resource ${n} bytes): ` +
          `${this.used} bytes in use of ${this.limit} granted (memory_mb); blocks, vars and host results count against it`,
      );
    }
  }

  /** `alloc` on the guest's behalf. */
  alloc(ctx: KernelContext, n: number): bigint {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new HostLimitError(
        'kernel-memory',
        String(n),
        `plugin ${this.plugin}: invalid allocation size ${n}`,
      );
    this.ensure(n, ctx);
    const h = ctx.alloc(n);
    this.track(h, n);
    return h;
  }

  /** Store host bytes as a fresh block (always a private copy: Extism would wrap a shared buffer whole). */
  store(ctx: KernelContext, bytes: Uint8Array): bigint {
    this.ensure(bytes.byteLength, ctx);
    // slice() gives an exact, private ArrayBuffer, which Extism adopts as the block without a
    // second copy (and is several times faster than alloc + set on fresh pages).
    const h = ctx.store(bytes.slice());
    this.track(h, bytes.byteLength);
    return h;
  }

  private track(h: bigint, n: number): void {
    this.live.set(h, n);
    this.blockBytes += n;
    this.peak = Math.max(this.peak, this.used);
  }

  /** Vars persist across calls; `delta` may be negative. */
  chargeVar(ctx: KernelContext, delta: number): void {
    if (delta > 0) this.ensure(delta, ctx);
    this.varBytes += delta;
    this.peak = Math.max(this.peak, this.used);
  }

  /** After a call: the kernel's blocks were reset. */
  resetBlocks(): void {
    this.live.clear();
    this.blockBytes = 0;
  }
}
