/**
 * Arrow IPC across the Extism plugin boundary (worker design: one Worker per instance, Extism
 * 1.0.3 foreground inside, bulk copies into linear memory), against a plain copy of the same
 * bytes into a WebAssembly memory in this process, plus the per-call overhead.
 *
 *   npx tsx bench/plugin-boundary.ts
 *
 * "end to end" includes the host↔worker hop (call and result on a MessageChannel whose buffers are
 * transferred, never cloned; each side blocks on a SharedArrayBuffer counter with Atomics instead
 * of waiting for an event-loop turn); "in worker" is the plugin call alone, timed inside the
 * worker (kernel block + bulk_load/bulk_store). "fresh copy" is the reference for the way out:
 * the same bytes copied from a WebAssembly memory into a new ArrayBuffer (what any owned result
 * costs; on a VM whose fresh pages fault slowly this, not the boundary, is the ceiling).
 * Every figure is the best of ROUNDS rounds, and the load average is printed: on a shared
 * machine the spread is large. Goals: ≥ 1 GB/s, ≤ 50 µs/call.
 *
 *   npx tsx bench/plugin-boundary.ts [rounds=5]
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeTable, tableToIPC } from 'apache-arrow';
import { openPlugin } from '../host/plugins/load.js';
import { Wasm } from '../host/plugins/wasm-api.js';
import { buildWat } from '../tests/unit/plugins/file-plugin.js';
import { pluginDir } from '../tests/unit/plugins/fixtures.js';

// The same `load`/`store` as the C echo module, but `store` hands its bytes back with
// `dativo.output_bytes` (one copy into a buffer the host thread then owns) instead of a kernel block
// (`bulk_store` + `output_set`: a fresh buffer per call). The Rust PDK's host::output uses this.
const ARENA_ECHO = buildWat(
  'arena-echo',
  `(module
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "dativo" "bulk_load" (func $bulk_load (param i64 i32) (result i64)))
  (import "dativo" "output_bytes" (func $output_bytes (param i32 i32) (result i32)))
  (memory (export "memory") 1 1024)
  (global $len (mut i32) (i32.const 0))
  (func (export "load") (result i32)
    (local $n i32) (local $have i32)
    (local.set $n (i32.wrap_i64 (call $input_length)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $n) (local.get $have))
      (then (drop (memory.grow (i32.div_u (i32.add (i32.sub (local.get $n) (local.get $have)) (i32.const 65535)) (i32.const 65536))))))
    (drop (call $bulk_load (call $input_offset) (i32.const 0)))
    (global.set $len (local.get $n))
    (i32.const 0))
  (func (export "store") (result i32)
    (drop (call $output_bytes (i32.const 0) (global.get $len)))
    (i32.const 0))
  (func (export "noop") (result i32) (i32.const 0)))`,
);

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('bash', ['scripts/build-test-plugins.sh'], { cwd: repo, stdio: 'inherit' });

const MB = 1024 * 1024;
const SIZES = [1, 4, 16];
const ROUNDS = Number(process.argv[2] ?? 5);

/** Best (highest) of ROUNDS runs of `round`, which returns a rate. */
async function best(round: () => Promise<number> | number): Promise<number> {
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) top = Math.max(top, await round());
  return top;
}

function ipcOf(bytes: number): Uint8Array {
  const n = Math.floor(bytes / 8);
  const values = new Float64Array(n).map((_, i) => i * 0.5);
  return tableToIPC(makeTable({ x: values }), 'stream');
}

function reps(sizeMb: number): number {
  return Math.max(5, Math.round(64 / sizeMb));
}

const { instance } = await openPlugin(
  pluginDir('echo', { capabilities: { memory_mb: 64, timeout_ms: 60_000 } }),
  {
    role: 'reader',
    requiredExports: ['echo'],
  },
);
const arena = (
  await openPlugin(pluginDir(ARENA_ECHO, { capabilities: { memory_mb: 64, timeout_ms: 60_000 } }), {
    role: 'reader',
    requiredExports: ['store'],
  })
).instance;

const rows: string[][] = [
  [
    'batch',
    'plain copy MB/s',
    'fresh copy MB/s',
    'into e2e MB/s',
    'into in-worker MB/s',
    'out e2e MB/s',
    'out in-worker MB/s',
    'out output_bytes MB/s',
  ],
];
for (const size of SIZES) {
  const ipc = ipcOf(size * MB);
  const mbytes = ipc.byteLength / MB;
  const n = reps(size);

  // References: the same bytes into a WebAssembly memory (plain), and out of one into a new buffer (fresh).
  const mem = new Wasm.Memory({ initial: Math.ceil(ipc.byteLength / 65536) + 1 });
  new Uint8Array(mem.buffer).set(ipc); // first touch of the pages, untimed
  const plain = await best(() => {
    const t = performance.now();
    for (let i = 0; i < n; i++) new Uint8Array(mem.buffer).set(ipc);
    return (mbytes * n) / ((performance.now() - t) / 1000);
  });
  const fresh = await best(() => {
    const t = performance.now();
    for (let i = 0; i < n; i++) new Uint8Array(mem.buffer, 0, ipc.byteLength).slice();
    return (mbytes * n) / ((performance.now() - t) / 1000);
  });

  await instance.call('load', ipc.slice(), { transfer: true }); // warm-up
  let intoWorker = 0;
  const intoE2e = await best(async () => {
    // The adapters hand each batch over (transfer), so each call gets its own copy made beforehand.
    const copies = Array.from({ length: n }, () => ipc.slice());
    let inWorker = 0;
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      await instance.call('load', copies[i], { transfer: true });
      inWorker += instance.lastStats?.callMs ?? 0;
    }
    intoWorker = Math.max(intoWorker, (mbytes * n) / (inWorker / 1000));
    return (mbytes * n) / ((performance.now() - t) / 1000);
  });

  let outW = 0;
  const outE2e = await best(async () => {
    let outWorker = 0;
    let outBytes = 0;
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      outBytes += (await instance.call('store'))?.byteLength ?? 0;
      outWorker += instance.lastStats?.callMs ?? 0;
    }
    if (outBytes !== ipc.byteLength * n) throw new Error('store returned the wrong number of bytes');
    outW = Math.max(outW, (mbytes * n) / (outWorker / 1000));
    return (mbytes * n) / ((performance.now() - t) / 1000);
  });
  // The output_bytes path: copied once in the worker, transferred to this thread.
  await arena.call('load', ipc.slice(), { transfer: true });
  const outArena = await best(async () => {
    let outBytes = 0;
    const t = performance.now();
    for (let i = 0; i < n; i++) outBytes += (await arena.call('store'))?.byteLength ?? 0;
    if (outBytes !== ipc.byteLength * n) throw new Error('store returned the wrong number of bytes');
    return (mbytes * n) / ((performance.now() - t) / 1000);
  });
  rows.push([
    `${mbytes.toFixed(1)} MiB`,
    ...[plain, fresh, intoE2e, intoWorker, outE2e, outW, outArena].map((x) => x.toFixed(0)),
  ]);
}

const CALLS = 1000;
for (let i = 0; i < 200; i++) await instance.call('noop');
let perCall = Number.POSITIVE_INFINITY;
let inWorkerBest = Number.POSITIVE_INFINITY;
const perRound: number[] = [];
for (let r = 0; r < ROUNDS * 2; r++) {
  let inWorker = 0;
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    await instance.call('noop');
    inWorker += instance.lastStats?.callMs ?? 0;
  }
  const us = ((performance.now() - t0) * 1000) / CALLS;
  perRound.push(us);
  perCall = Math.min(perCall, us);
  inWorkerBest = Math.min(inWorkerBest, (inWorker * 1000) / CALLS);
}
await instance.close();
await arena.close();

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c]!)).join('  '));
console.log(
  `per call (noop): ${perCall.toFixed(1)} µs end to end (host→worker→plugin→host, best of ${perRound.length} rounds of ${CALLS}; ` +
    `median ${[...perRound].sort((a, b) => a - b)[perRound.length >> 1]?.toFixed(1)} µs), ${inWorkerBest.toFixed(1)} µs inside the worker`,
);
const last = rows.at(-1)!;
console.log(
  `ratio into/plain at the largest batch: ${(Number(last[3]) / Number(last[1])).toFixed(3)}; ` +
    `out/fresh copy: ${(Number(last[5]) / Number(last[2])).toFixed(3)}; peak RSS ${(process.memoryUsage().rss / MB).toFixed(0)} MiB`,
);
console.log(
  `load average: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${os.cpus().length} cores)`,
);
