/**
 * The Rust CSV reader plugin (plugins/csv-reader, run by the Extism host in its Worker) against
 * the native CSV source, on the same generated file, in the same process: both as `Source`s, timed
 * from their creation (for the plugin: manifest and module checks, Worker start, compile) to the
 * end of the data (Arrow utf8 batches on the host), rows checked equal. The plugin reads the file
 * through the host's read-only file capability (`input_read`, the job's `source.files` by logical
 * name, straight into linear memory); with `--http` it reads it over HTTP Range requests from a
 * local server in this process instead. Best of N runs; the load average is printed because the
 * numbers move with it.
 *
 *   npx tsx bench/rust-csv-reader.ts [rows=1000000] [batch=50000] [runs=3] [--http] [--dist]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { ResolvedJob } from '../host/config/types.js';
import type { createPluginSource as CreatePluginSource } from '../host/plugins/index.js';
import type { createCsvSource as CreateCsvSource } from '../host/sources/csv/index.js';
import type { Source } from '../host/sources/source.js';
import { generateCsv } from './gen-csv.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const viaHttp = process.argv.includes('--http');
const rows = Number(args[0] ?? 1_000_000);
const batchSize = Number(args[1] ?? 50_000);
const runs = Number(args[2] ?? 3);
// --dist: the host as the CLI runs it (dist/, after `npm run build`): the plugin's Worker then
// starts from JavaScript instead of through tsx's loader, which costs it ~0.3 s per start here.
const fromDist = process.argv.includes('--dist');
const base = fromDist ? '../dist/' : '../host/';
const { silentLogger } = (await import(
  `${base}observability/logger.js`
)) as typeof import('../host/observability/logger.js');
const { createPluginSource } = (await import(`${base}plugins/index.js`)) as {
  createPluginSource: typeof CreatePluginSource;
};
const { createCsvSource } = (await import(`${base}sources/csv/index.js`)) as {
  createCsvSource: typeof CreateCsvSource;
};
const file = path.join(os.tmpdir(), `dativo-bench-${rows}.csv`);
if (!existsSync(file)) {
  console.log(`generating ${rows} rows into ${file} ...`);
  await generateCsv(file, rows);
}
const size = statSync(file).size;
execFileSync('bash', ['scripts/build-rust-plugins.sh', '-p', 'csv-reader'], { cwd: REPO, stdio: 'ignore' });

// A static file server with Range support on 127.0.0.1.
const server = createServer((req, res) => {
  const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'content-length': size });
    createReadStream(file).pipe(res);
    return;
  }
  const start = Number(m[1]);
  const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  if (start >= size) {
    res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
  createReadStream(file, { start, end }).pipe(res);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;

// The packaged plugin with this server's host:port requested in its manifest.
const pluginDir = mkdtempSync(path.join(os.tmpdir(), 'dativo-bench-csv-plugin-'));
const built = path.join(REPO, '.run/rust-plugins/csv-reader');
const manifest = parse(readFileSync(path.join(built, 'dativo-plugin.yaml'), 'utf8'));
manifest.capabilities.network.hosts = [hostPort];
writeFileSync(path.join(pluginDir, 'dativo-plugin.yaml'), stringify(manifest));
writeFileSync(path.join(pluginDir, 'plugin.wasm'), readFileSync(path.join(built, 'plugin.wasm')));

function job(source: Record<string, unknown>): ResolvedJob {
  return {
    name: 'bench',
    source: {
      type: 'csv',
      config: {},
      options: {},
      files: [],
      objects: ['orders'],
      credentials: {},
      ...source,
    },
    target: { config: {} },
    locate: (keyPath: string) => ({ keyPath }),
  } as unknown as ResolvedJob;
}

/** Timed from the source's creation: the plugin's checks (manifest, sha256, module) count too. */
async function drain(
  create: () => Source | Promise<Source>,
): Promise<{ seconds: number; open: number; cpu: number; rows: number; sample: string }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const src = await create();
  await src.open({ state: {}, logger: silentLogger(), signal: new AbortController().signal, batchSize });
  const open = (performance.now() - t0) / 1000;
  let n = 0;
  let sample = '';
  for await (const b of src.read()) {
    if (n === 0) sample = JSON.stringify(b.batch.get(0)?.toJSON());
    n += b.batch.numRows;
  }
  await src.close();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, open, cpu: (c.user + c.system) / 1e6, rows: n, sample };
}

const native = () =>
  drain(() =>
    createCsvSource(
      job({ files: [{ path: file, object: 'orders' }], options: { batch_size: batchSize } })
        .source as ResolvedJob['source'],
    ),
  );
const plugin = () =>
  drain(() =>
    createPluginSource(
      viaHttp
        ? job({
            config: { url: `http://${hostPort}/orders.csv`, batch_size: batchSize },
            plugin: { path: pluginDir, allow: { hosts: [hostPort], secrets: [] } },
          })
        : job({
            config: { batch_size: batchSize },
            files: [{ path: file, object: 'orders' }],
            plugin: { path: pluginDir, allow: { hosts: [], secrets: [] } },
          }),
    ),
  );

await native(); // warm-up (JIT, page cache)
// The first plugin run of the process compiles the module and tiers it up; later runs find the
// compiled code in V8's per-process module cache, as a CLI run (one job per process) does not.
const firstPlugin = await plugin();
const results: { native: number; plugin: number; pluginRead: number; pluginOpen: number }[] = [];
let check = '';
for (let k = 0; k < runs; k++) {
  const a = await native();
  const b = await plugin();
  if (a.rows !== b.rows || a.sample !== b.sample) {
    throw new Error(`outputs differ: native ${a.rows} rows ${a.sample}, plugin ${b.rows} rows ${b.sample}`);
  }
  check = `${a.rows} rows, first row equal`;
  results.push({ native: a.seconds, plugin: b.seconds, pluginRead: b.seconds - b.open, pluginOpen: b.open });
}
server.close();
const best = (k: 'native' | 'plugin' | 'pluginRead' | 'pluginOpen') => Math.min(...results.map((r) => r[k]));
const mb = size / 1e6;
console.log(`file: ${rows} rows, ${mb.toFixed(1)} MB, batch ${batchSize} rows (${check})`);
console.log(
  `native CSV source:        ${best('native').toFixed(3)} s  ${(mb / best('native')).toFixed(0)} MB/s`,
);
console.log(
  `Rust csv-reader plugin:   ${best('plugin').toFixed(3)} s  ${(mb / best('plugin')).toFixed(0)} MB/s (${viaHttp ? 'HTTP range reads' : 'file capability'})`,
);
console.log(
  `  of which create + open (checks, Worker start, module compile): best ${best('pluginOpen').toFixed(3)} s; reading after open: best ${best('pluginRead').toFixed(3)} s (${(best('native') / best('pluginRead')).toFixed(2)}x native)`,
);
console.log(
  `  first plugin run of the process (cold module compile and tier-up): ${firstPlugin.seconds.toFixed(3)} s`,
);
console.log(`host code: ${fromDist ? 'dist/ (as the CLI runs)' : 'TypeScript sources through tsx'}`);
console.log(
  `all runs (s): native ${results.map((r) => r.native.toFixed(2)).join(' ')}; plugin ${results.map((r) => r.plugin.toFixed(2)).join(' ')}`,
);
console.log(
  `load average: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${os.cpus().length} cores)`,
);
console.log(`ratio plugin/native speed: ${(best('native') / best('plugin')).toFixed(2)}x (goal ≥ 1.0x)`);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
