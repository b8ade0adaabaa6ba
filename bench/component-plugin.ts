/**
 * The component runtime beside the Extism runtime: cold start (the first start in the process,
 * with the transpile cached on disk when the bench ran before; then a second start, whose cores
 * are compiled already), per-call overhead (`check`, a call that crosses with a few bytes), the
 * boundary (2 MB batches the component refills natively and the PDK encodes with a copy) and a
 * batch built value by value (the PDK's encoder over JS arrays: SpiderMonkey without a JIT runs
 * those loops, so this is the rate a TypeScript reader building rows really gets).
 *
 *   npx tsx bench/component-plugin.ts [rows=100000]
 *
 * Goals (issue #20): cold start ≤ 300 ms with the cached transpile, ≥ 200 MB/s across the
 * boundary. Timings on a shared machine vary widely; the load average is printed with them.
 * Extism's figures for the same calls come from its C echo module (bench/plugin-boundary.ts has
 * the full Extism boundary bench).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPlugin } from '../host/plugins/load.js';
import { builtComponent } from '../tests/helpers/component.js';
import { pluginDir } from '../tests/unit/plugins/fixtures.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.argv[2] ?? 100_000);
const CALLS = 200;
const fixture = path.join(repo, 'tests', 'security', 'fixtures', 'component-hostile');

async function timedStart(dir: string, config: Record<string, unknown>) {
  const t0 = performance.now();
  const p = await openPlugin(dir, { role: 'reader', config, allow: { hosts: [], secrets: [] } });
  return { p, ms: performance.now() - t0 };
}

async function perCall(call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await call();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  return ((performance.now() - t0) / CALLS) * 1000;
}

execFileSync('bash', ['scripts/build-test-plugins.sh'], { cwd: repo, stdio: 'inherit' });
const componentDir = await builtComponent(fixture);
const first = await timedStart(componentDir, { mode: 'ok', rows: ROWS });
await first.p.instance.close();
const warm = await timedStart(componentDir, { mode: 'ok', rows: ROWS });
const firstCallT0 = performance.now();
await warm.p.instance.call('check');
const firstCallMs = performance.now() - firstCallT0;
const componentCall = await perCall(() => warm.p.instance.call('check'));
const t0 = performance.now();
const batch = await warm.p.instance.call('next_batch');
const batchMs = performance.now() - t0;
await warm.p.instance.close();

// The boundary alone: 2 MB batches the component refills natively (a reused Float64Array).
const big = await timedStart(componentDir, { mode: 'big' });
await big.p.instance.call('next_batch');
let bigBytes = 0;
const bigT0 = performance.now();
for (let i = 0; i < 20; i++) bigBytes += (await big.p.instance.call('next_batch'))?.byteLength ?? 0;
const bigMs = performance.now() - bigT0;
await big.p.instance.close();

const extism = await timedStart(pluginDir('reader'), { batches: 1, rows: 1 });
const extismCall = await perCall(() => extism.p.instance.call('check'));
await extism.p.instance.close();

const mb = (batch?.byteLength ?? 0) / 1024 / 1024;
console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `component: first start in this process ${first.ms.toFixed(0)} ms (plus transpile if not cached on disk), ` +
    `next start ${warm.ms.toFixed(0)} ms (compiled cores cached in the process), its first call ${firstCallMs.toFixed(0)} ms`,
);
console.log(`extism:    cold start ${extism.ms.toFixed(0)} ms`);
console.log(`per call (check): component ${componentCall.toFixed(0)} µs, extism ${extismCall.toFixed(0)} µs`);
console.log(
  `component boundary: 20 batches of ${(bigBytes / 20 / 1024 / 1024).toFixed(1)} MB in ${bigMs.toFixed(0)} ms = ${(bigBytes / 1024 / 1024 / (bigMs / 1000)).toFixed(0)} MB/s`,
);
console.log(
  `component batch: ${ROWS} rows, ${mb.toFixed(1)} MB built inside and moved in ${batchMs.toFixed(0)} ms = ${(mb / (batchMs / 1000)).toFixed(1)} MB/s`,
);
