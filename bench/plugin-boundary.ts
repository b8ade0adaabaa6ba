/**
 * Arrow IPC across the Extism plugin boundary (worker design: one Worker per instance, Extism
 * 1.0.3 foreground inside, bulk copies into linear memory), against a plain copy of the same
 * bytes into a WebAssembly memory in this process, plus the per-call overhead.
 *
 *   npx tsx bench/plugin-boundary.ts
 *
 * "end to end" includes the host↔worker message (a structured-clone copy each way); "in worker"
 * is the plugin call alone, timed inside the worker (kernel block + bulk_load/bulk_store).
 * Goals: ≥ 1 GB/s, ≤ 50 µs/call.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeTable, tableToIPC } from 'apache-arrow';
import { openPlugin } from '../host/plugins/load.js';
import { Wasm } from '../host/plugins/wasm-api.js';
import { pluginDir } from '../tests/unit/plugins/fixtures.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('bash', ['scripts/build-test-plugins.sh'], { cwd: repo, stdio: 'inherit' });

const MB = 1024 * 1024;
const SIZES = [1, 4, 16];

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

const rows: string[][] = [
  ['batch', 'plain copy MB/s', 'into e2e MB/s', 'into in-worker MB/s', 'out e2e MB/s', 'out in-worker MB/s'],
];
for (const size of SIZES) {
  const ipc = ipcOf(size * MB);
  const mbytes = ipc.byteLength / MB;
  const n = reps(size);

  // Reference: the same bytes into a WebAssembly memory, in this process.
  const mem = new Wasm.Memory({ initial: Math.ceil(ipc.byteLength / 65536) + 1 });
  new Uint8Array(mem.buffer).set(ipc); // first touch of the pages, untimed
  let t = performance.now();
  for (let i = 0; i < n; i++) new Uint8Array(mem.buffer).set(ipc);
  const plain = (mbytes * n) / ((performance.now() - t) / 1000);

  // The adapters hand each batch over (transfer), so each call gets its own copy made beforehand.
  const copies = Array.from({ length: n + 1 }, () => ipc.slice());
  await instance.call('load', copies[n], { transfer: true }); // warm-up
  let inWorker = 0;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    await instance.call('load', copies[i], { transfer: true });
    inWorker += instance.lastStats?.callMs ?? 0;
  }
  const intoE2e = (mbytes * n) / ((performance.now() - t) / 1000);
  const intoWorker = (mbytes * n) / (inWorker / 1000);

  let outWorker = 0;
  let outBytes = 0;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    outBytes += (await instance.call('store'))?.byteLength ?? 0;
    outWorker += instance.lastStats?.callMs ?? 0;
  }
  if (outBytes !== ipc.byteLength * n) throw new Error('store returned the wrong number of bytes');
  const outE2e = (mbytes * n) / ((performance.now() - t) / 1000);
  const outW = (mbytes * n) / (outWorker / 1000);
  rows.push([
    `${mbytes.toFixed(1)} MiB`,
    ...[plain, intoE2e, intoWorker, outE2e, outW].map((x) => x.toFixed(0)),
  ]);
}

const CALLS = 2000;
for (let i = 0; i < 200; i++) await instance.call('noop');
let inWorker = 0;
const t0 = performance.now();
for (let i = 0; i < CALLS; i++) {
  await instance.call('noop');
  inWorker += instance.lastStats?.callMs ?? 0;
}
const perCall = ((performance.now() - t0) * 1000) / CALLS;
await instance.close();

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c]!)).join('  '));
console.log(
  `per call (noop): ${perCall.toFixed(1)} µs end to end (host→worker→plugin→host), ${((inWorker * 1000) / CALLS).toFixed(1)} µs inside the worker`,
);
const best = rows.slice(1).map((r) => Number(r[2]));
console.log(
  `ratio into/plain at the largest batch: ${(best.at(-1)! / Number(rows.at(-1)![1])).toFixed(3)}; peak RSS ${(process.memoryUsage().rss / MB).toFixed(0)} MiB`,
);
