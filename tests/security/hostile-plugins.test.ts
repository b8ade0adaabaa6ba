/**
 * Hostile plugins (architecture §5): each attempt is blocked with an error naming the capability,
 * the host process stays alive (its event loop ticks, a good plugin still runs afterwards),
 * nothing is committed, and no secret value reaches a log line.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { staticSecrets } from '../../host/config/secret-lookup.js';
import { DativoError } from '../../host/errors.js';
import { ExtismInstance } from '../../host/plugins/extism/instance.js';
import { createPluginSink, createPluginSource } from '../../host/plugins/index.js';
import { openPlugin, preparePlugin } from '../../host/plugins/load.js';
import { buildFileReader, readRequest } from '../unit/plugins/file-plugin.js';
import {
  buildTestPlugins,
  captureLogger,
  eventLoopTicks,
  fakeJob,
  pluginDir,
  SOURCE_CTX,
  startServer,
  type TestServer,
} from '../unit/plugins/fixtures.js';

const SECRET = 'sk_live_9f8e7d6c5b4a-do-not-leak';
const OTHER_SECRET = 'hunter2-database-password';
const cap = captureLogger();
const { logger } = cap;
const none = { hosts: [], secrets: [] };

beforeAll(() => buildTestPlugins(), 600_000);

async function caught(p: Promise<unknown> | (() => unknown)): Promise<DativoError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(DativoError);
    return e as DativoError;
  }
  throw new Error('expected a DativoError');
}

function audits(capability: string): Record<string, unknown>[] {
  return cap.parsed().filter((l) => l.event_type === 'plugin_denied' && l.capability === capability);
}

async function goodReaderRuns(): Promise<number> {
  const job = fakeJob({
    source: { config: { batches: 1, rows: 7 }, plugin: { path: pluginDir('reader'), allow: none } },
  });
  const source = await createPluginSource(job, undefined, { logger });
  await source.open(SOURCE_CTX(logger));
  let rows = 0;
  for await (const b of source.read()) rows += b.batch.numRows;
  await source.close();
  return rows;
}

afterEach(async () => {
  expect(await eventLoopTicks()).toBe(true);
  expect(await goodReaderRuns()).toBe(7);
});

afterAll(() => {
  const all = cap.lines.join('\n');
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(OTHER_SECRET);
});

describe('no WASI, no environment', () => {
  it('a module reading a host file through WASI is refused before it runs', async () => {
    const err = await caught(() => preparePlugin(pluginDir('wasi-read'), { role: 'reader', logger }));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/imports wasi_snapshot_preview1\.path_open, but WASI is not granted/);
    expect(audits('wasi').at(-1)).toMatchObject({
      plugin: 'wasi-read',
      resource: 'wasi_snapshot_preview1.path_open',
    });
    // Even with the policy bypassed, the runtime offers no WASI to link against.
    const wasm = readFileSync(path.join(pluginDir('wasi-read'), 'plugin.wasm'));
    const grant = preparePlugin(pluginDir('reader'), { role: 'reader' }).grant;
    const err2 = await caught(
      ExtismInstance.start({ wasm, grant: { ...grant, plugin: 'wasi-read' }, config: '{}', logger }),
    );
    expect(err2.code).toBe('PLUGIN_DENIED');
    expect(err2.message).toMatch(/WASI is not granted/);
  });

  it('a module reading the environment is refused (WASI environ, or an env import)', async () => {
    const err = await caught(() => preparePlugin(pluginDir('wasi-env'), { role: 'reader', logger }));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/wasi_snapshot_preview1\.environ_sizes_get, but WASI is not granted/);
    const err2 = await caught(() => preparePlugin(pluginDir('env-import'), { role: 'reader', logger }));
    expect(err2.message).toMatch(/imports function env\.getenv, which this host does not provide/);
    expect(audits('import').at(-1)).toMatchObject({ plugin: 'env-import', resource: 'env.getenv' });
  });
});

describe('network', () => {
  let granted: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    other = await startServer((_req, res) => res.end('secret internal data'));
    granted = await startServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `${other.url}/steal` });
        res.end();
      } else res.end('hello from the granted host');
    });
  });
  afterAll(async () => {
    await granted.close();
    await other.close();
  });

  async function fetchVia(url: string): Promise<Uint8Array | null> {
    const hp = `127.0.0.1:${granted.port}`;
    const { instance } = await openPlugin(
      pluginDir('http-client', { capabilities: { network: { hosts: [hp] } } }),
      {
        role: 'reader',
        allow: { hosts: [hp], secrets: [] },
        config: { url },
        logger,
        requiredExports: ['fetch'],
      },
    );
    try {
      return await instance.call('fetch');
    } finally {
      await instance.close();
    }
  }

  it('a granted host answers', async () => {
    const body = await fetchVia(`${granted.url}/data`);
    expect(new TextDecoder().decode(body as Uint8Array)).toBe('hello from the granted host');
  });

  it('a host that is not granted is denied, and never contacted', async () => {
    const err = await caught(fetchVia(`${other.url}/steal`));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain(
      `network access to 127.0.0.1:${other.port} denied (capability network, resource 127.0.0.1:${other.port})`,
    );
    expect(other.hits).toEqual([]);
    expect(audits('network').at(-1)).toMatchObject({
      plugin: 'http-client',
      resource: `127.0.0.1:${other.port}`,
    });
  });

  it('a granted host redirecting elsewhere: the redirect is re-checked and denied', async () => {
    const err = await caught(fetchVia(`${granted.url}/redirect`));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain(`resource 127.0.0.1:${other.port}`);
    expect(granted.hits).toContain('GET /redirect');
    expect(other.hits).toEqual([]);
  });
});

describe('secrets', () => {
  it('a secret that is not granted is denied; the granted one never reaches a log unmasked', async () => {
    const dir = pluginDir('secrets', { capabilities: { secrets: ['api_token', 'db_password'] } });
    const { instance, grant } = await openPlugin(dir, {
      role: 'reader',
      allow: { hosts: [], secrets: ['api_token'] },
      secrets: staticSecrets({ api_token: SECRET, db_password: OTHER_SECRET }),
      logger,
      requiredExports: ['steal'],
    });
    expect(grant.secrets).toEqual(['api_token']);
    const err = await caught(instance.call('steal'));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain('secret "db_password" denied (capability secret, resource db_password)');
    expect(audits('secret').at(-1)).toMatchObject({ plugin: 'secrets', resource: 'db_password' });
    const logged = cap
      .parsed()
      .filter(
        (l) =>
          l.plugin === 'secrets' && typeof l.message === 'string' && String(l.message).startsWith('token is'),
      );
    expect(logged.map((l) => l.message)).toEqual(['token is ***']);
    // Granted access works (and returns the value's length, not the value).
    expect(new TextDecoder().decode((await instance.call('granted_only')) as Uint8Array)).toBe(
      String(SECRET.length),
    );
    await instance.close();
  });
});

describe('time and memory', () => {
  it('an infinite loop is stopped at the time limit; the host stays responsive; the next call gets a fresh instance', async () => {
    const { instance } = await openPlugin(pluginDir('spin', { capabilities: { timeout_ms: 400 } }), {
      role: 'reader',
      logger,
      requiredExports: ['spin'],
    });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const t0 = Date.now();
    const err = await caught(instance.call('spin'));
    clearInterval(ticker);
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toMatch(
      /call spin exceeded the 400 ms time limit \(capability timeout, resource spin\); the instance was terminated/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(5);
    expect(instance.alive).toBe(false);
    expect(await instance.call('ok')).toBeNull();
    expect(instance.starts).toBe(2);
    await instance.close();
  });

  it('memory.grow beyond the declared maximum fails inside the module', async () => {
    const { instance } = await openPlugin(pluginDir('memory-bomb'), {
      role: 'reader',
      logger,
      requiredExports: ['bomb'],
    });
    const err = await caught(instance.call('bomb'));
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toContain('[OUT_OF_MEMORY] memory.grow refused at 32 pages');
    await instance.close();
  });

  it('a module without a memory maximum is refused before instantiation', async () => {
    const err = await caught(() => preparePlugin(pluginDir('reader-nomax'), { role: 'reader', logger }));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/declares no memory maximum, refused before instantiation/);
    expect(audits('memory').at(-1)).toMatchObject({ plugin: 'reader-nomax', resource: 'memory maximum' });
  });

  it('a module whose maximum is above the grant is refused', async () => {
    const err = await caught(() =>
      preparePlugin(pluginDir('reader'), {
        role: 'reader',
        allow: { hosts: [], secrets: [], memoryMb: 2 },
        logger,
      }),
    );
    expect(err.message).toMatch(/memory maximum of 4\.0 MiB, above the 2\.0 MiB granted/);
  });

  it('a kernel-alloc loop hits the budget', async () => {
    const { instance } = await openPlugin(pluginDir('kernel-alloc', { capabilities: { memory_mb: 16 } }), {
      role: 'reader',
      logger,
      requiredExports: ['hoard'],
    });
    // alloc + free stays inside the budget (freed blocks are credited) ...
    expect(await instance.call('churn')).toBeNull();
    // ... hoarding does not.
    const err = await caught(instance.call('hoard'));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/kernel memory budget exceeded \(capability kernel-memory/);
    expect(audits('kernel-memory').length).toBeGreaterThan(0);
    await instance.close();
  });
});

describe('output, traps and bad batches', () => {
  async function oneBatch(): Promise<RecordBatch> {
    const job = fakeJob({
      source: { config: { batches: 1, rows: 5 }, plugin: { path: pluginDir('reader'), allow: none } },
    });
    const source = await createPluginSource(job);
    await source.open(SOURCE_CTX(logger));
    for await (const b of source.read()) {
      await source.close();
      return b.batch;
    }
    throw new Error('no batch');
  }

  it('1 GiB of output is capped by output_mb; nothing is published', async () => {
    const publish = mkdtempSync(path.join(os.tmpdir(), 'flood-publish-'));
    const dir = pluginDir('output-flood', { role: 'writer', capabilities: { output_mb: 1024 } });
    const job = fakeJob({
      target: { plugin: { path: dir, allow: { hosts: [], secrets: [], outputMb: 8 } } },
    });
    const sink = await createPluginSink(job, undefined, { publishDir: publish }, { logger });
    await sink.open({ runId: 'flood', job: 'j', tenant: 't', logger });
    const staging = sink.stagingDir() as string;
    const err = await caught(sink.write(await oneBatch()));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/output limit exceeded \(capability output, resource flood\.bin\)/);
    const staged = sink.staged().reduce((n, f) => n + f.bytes, 0);
    expect(staged).toBeLessThanOrEqual(8 * 1024 * 1024);
    await sink.abort('failed');
    expect(readdirSync(publish)).toEqual([]);
    expect(readdirSync(os.tmpdir())).not.toContain(path.basename(staging));
  });

  it('a trap mid-batch fails the read cleanly and the checkpoint stays at the last good batch', async () => {
    const job = fakeJob({ source: { plugin: { path: pluginDir('trap-reader'), allow: none } } });
    const source = await createPluginSource(job, undefined, { logger });
    await source.open(SOURCE_CTX(logger, { cursor: '0' }));
    const rows: number[] = [];
    const err = await caught(
      (async () => {
        for await (const b of source.read()) rows.push(b.batch.numRows);
      })(),
    );
    expect(rows).toEqual([10]);
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toMatch(/plugin trap-reader trapped in next_batch: unreachable/);
    expect(err.location?.plugin).toBe('trap-reader');
    expect(source.checkpoint()).toEqual({ cursor: '10' });
    await source.close();
  });

  it('a writer trapping on its second batch commits nothing', async () => {
    const publish = mkdtempSync(path.join(os.tmpdir(), 'trap-publish-'));
    const dir = pluginDir('trap-reader', { name: 'trap-writer', role: 'writer' });
    const job = fakeJob({ target: { plugin: { path: dir, allow: none } } });
    const sink = await createPluginSink(job, undefined, { publishDir: publish }, { logger });
    await sink.open({ runId: 'trap', job: 'j', tenant: 't', logger });
    const batch = await oneBatch();
    await sink.write(batch);
    const err = await caught(sink.write(batch));
    expect(err.message).toMatch(/trapped in write_batch/);
    await sink.abort('failed');
    expect(readdirSync(publish)).toEqual([]);
  });

  it.each([
    [
      'garbage',
      /next_batch returned an invalid batch \(batch 1\): (malformed Arrow IPC|message metadata runs past)/,
    ],
    ['two_batches', /must hold exactly one record batch \(found 2\)/],
    ['no_eos', /without an end-of-stream marker/],
  ])('malformed IPC (%s) is rejected at the boundary', async (mode, pattern) => {
    const job = fakeJob({
      source: { config: { mode }, plugin: { path: pluginDir('bad-ipc'), allow: none } },
    });
    const source = await createPluginSource(job, undefined, { logger });
    await source.open(SOURCE_CTX(logger));
    const err = await caught(
      (async () => {
        for await (const _ of source.read()) {
          // nothing valid should arrive
        }
      })(),
    );
    expect(err.code).toBe('PLUGIN_BAD_OUTPUT');
    expect(err.message).toMatch(pattern);
    await source.close();
  });
});

describe('identity and version', () => {
  it('a wrong ABI version is refused, naming both versions', async () => {
    const err = await caught(() =>
      preparePlugin(pluginDir('reader-abi2', { abi: '2.0' }), { role: 'reader', logger }),
    );
    expect(err.code).toBe('PLUGIN_VERSION_INCOMPATIBLE');
    // The ABI table refuses it from the manifest, before the module is read.
    expect(err.message).toMatch(
      /ABI 2\.0 is newer than this host's ABI 1\.1: upgrade Dativo \(this host runs ABI 1\.0, 1\.1\)/,
    );
    const err2 = await caught(() => preparePlugin(pluginDir('reader-abi2'), { role: 'reader', logger }));
    expect(err2.message).toMatch(/module ABI version 2\.0 \(manifest says 1\.0\)/);
  });

  it('a tampered module (sha256 mismatch) is refused before it is parsed', async () => {
    const dir = pluginDir('reader');
    const file = path.join(dir, 'plugin.wasm');
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const err = await caught(() => preparePlugin(dir, { role: 'reader', logger }));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(
      /integrity check failed for plugin\.wasm: sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}/,
    );
  });

  it('native and Python plugins keep their answers', async () => {
    const so = await caught(() => preparePlugin('/opt/plugins/reader.so', { role: 'reader' }));
    expect(so.code).toBe('PLUGIN_DENIED');
    expect(so.message).toMatch(/native code cannot be sandboxed/);
    const py = await caught(() => preparePlugin('/opt/plugins/reader.py', { role: 'reader' }));
    expect(py.code).toBe('NOT_IMPLEMENTED');
  });
});

describe('files (the read-only input capability)', () => {
  let dir: string;
  let granted: string;
  let secretFile: string;
  let module: string;

  beforeAll(() => {
    module = buildFileReader();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-files-'));
    granted = path.join(dir, 'orders.csv');
    secretFile = path.join(dir, 'secret.txt');
    writeFileSync(granted, 'id\n1\n');
    writeFileSync(secretFile, OTHER_SECRET);
  }, 600_000);

  async function fileReader() {
    return openPlugin(pluginDir(module, { name: 'file-thief', capabilities: { files: true } }), {
      role: 'reader',
      files: [{ path: granted }],
      logger,
      requiredExports: ['read'],
    });
  }

  it('a file that is not granted, a ../ name, an absolute path or the granted file by host path: all denied', async () => {
    const { instance } = await fileReader();
    for (const name of [
      'secret.txt',
      '../secret.txt',
      'orders.csv/../secret.txt',
      secretFile,
      granted,
      '/etc/passwd',
    ]) {
      const err = await caught(instance.call('read', readRequest(name, 0, 100)));
      expect(err.code).toBe('PLUGIN_DENIED');
      expect(err.message).toContain(`input file "${name}" denied (capability file, resource ${name})`);
      expect(err.message).not.toContain(OTHER_SECRET);
      expect(audits('file').at(-1)).toMatchObject({ plugin: 'file-thief', resource: name });
    }
    // The granted file by its logical name still works.
    expect(
      new TextDecoder().decode((await instance.call('read', readRequest('orders.csv', 0, 100))) ?? undefined),
    ).toBe('id\n1\n');
    await instance.close();
  });

  it('a huge length is denied before memory or disk is touched; a read past linear memory ends the call', async () => {
    const { instance } = await fileReader();
    const err = await caught(instance.call('read', readRequest('orders.csv', 0, 0xffffffff)));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toMatch(/input_read of 4294967295 bytes from "orders.csv" denied \(capability file/);
    // 2 MiB into a module whose memory is at most 1 MiB: outside its memory, the call fails.
    const err2 = await caught(instance.call('read', readRequest('orders.csv', 0, 2 * 1024 * 1024)));
    expect(err2.message).toMatch(/outside the module's memory/);
    // A negative offset is a bad input, not a crash.
    const err3 = await caught(instance.call('read', readRequest('orders.csv', -1n, 10)));
    expect(err3.message).toMatch(/offset -1 is negative/);
    await instance.close();
  });

  it('a reader whose manifest does not request files gets none, whatever the job lists', async () => {
    const { instance, grant } = await openPlugin(pluginDir(module, { name: 'no-files' }), {
      role: 'reader',
      files: [{ path: granted }],
      logger,
      requiredExports: ['read'],
    });
    expect(grant.files).toEqual([]);
    const err = await caught(instance.call('read', readRequest('orders.csv', 0, 10)));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain('granted files: none');
    await instance.close();
  });
});
