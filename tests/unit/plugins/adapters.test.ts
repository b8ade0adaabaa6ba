import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPluginSink, createPluginSource } from '../../../host/plugins/index.js';
import { buildTestPlugins, captureLogger, fakeJob, pluginDir, SOURCE_CTX } from './fixtures.js';

beforeAll(() => buildTestPlugins(), 120_000);

async function readAll(source: Awaited<ReturnType<typeof createPluginSource>>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of source.read()) out.push(b.batch);
  return out;
}

describe('reader plugin as a Source', () => {
  it('yields the Arrow batches the C module encodes itself, with state in the checkpoint', async () => {
    const dir = pluginDir('reader');
    const job = fakeJob({
      source: {
        config: { batches: 3, rows: 1000 },
        plugin: { path: dir, allow: { hosts: [], secrets: [] } },
      },
    });
    const { logger, parsed } = captureLogger();
    const source = await createPluginSource(job, undefined, { logger });
    await source.open(SOURCE_CTX(logger));
    const batches = await readAll(source);
    expect(batches.map((b) => b.numRows)).toEqual([1000, 1000, 1000]);
    expect(batches[0]?.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Int64', 'name:Utf8']);
    expect(batches[0]?.getChild('id')?.get(0)).toBe(1n);
    expect(batches[2]?.getChild('name')?.get(999)).toBe('row-3000');
    expect(source.checkpoint()).toEqual({ cursor: '3000' });
    await source.close();
    expect(parsed().some((l) => l.message === 'reader opened' && l.plugin === 'reader')).toBe(true);
  });

  it('continues from the committed state on the next run', async () => {
    const dir = pluginDir('reader');
    const job = fakeJob({
      source: { config: { batches: 1, rows: 10 }, plugin: { path: dir, allow: { hosts: [], secrets: [] } } },
    });
    const { logger } = captureLogger();
    const source = await createPluginSource(job, undefined, { logger });
    await source.open(SOURCE_CTX(logger, { cursor: '3000' }));
    const [b] = await readAll(source);
    expect(b?.getChild('id')?.get(0)).toBe(3001n);
    expect(source.checkpoint()).toEqual({ cursor: '3010' });
    await source.close();
  });

  it('runs check and discover without open', async () => {
    const job = fakeJob({ source: { customReader: path.join(pluginDir('reader'), 'plugin.wasm') } });
    const source = await createPluginSource(job);
    expect(await source.check()).toEqual({ status: 'success', message: 'generator ready' });
    expect(await source.discover()).toEqual({
      objects: [{ name: 'numbers', type: 'table' }],
      metadata: { columns: 2 },
    });
  });

  it('accepts a bare .wasm without a manifest (no capabilities granted)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bare-'));
    const file = path.join(dir, 'gen.wasm');
    const { copyFileSync } = await import('node:fs');
    copyFileSync(path.join(pluginDir('reader'), 'plugin.wasm'), file);
    const job = fakeJob({ source: { config: { batches: 1, rows: 3 }, customReader: file } });
    const { logger } = captureLogger();
    const source = await createPluginSource(job);
    await source.open(SOURCE_CTX(logger));
    expect((await readAll(source)).map((b) => b.numRows)).toEqual([3]);
    await source.close();
  });

  it('does not pass credentials to the plugin config', async () => {
    const { pluginConfigFrom } = await import('../../../host/plugins/load.js');
    expect(
      pluginConfigFrom({
        rows: 1,
        password: 'x',
        connection: { host: 'h', api_key: 'k' },
        credentials: { a: 1 },
      }),
    ).toEqual({
      rows: 1,
      connection: { host: 'h' },
    });
  });
});

describe('writer plugin as a Sink', () => {
  async function batchesFromReader(n: number, rows: number): Promise<RecordBatch[]> {
    const job = fakeJob({
      source: {
        config: { batches: n, rows },
        plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } },
      },
    });
    const { logger } = captureLogger();
    const source = await createPluginSource(job);
    await source.open(SOURCE_CTX(logger));
    const out = await readAll(source);
    await source.close();
    return out;
  }

  it('receives IPC batches, writes outputs through output_write, and publishes them at commit', async () => {
    const batches = await batchesFromReader(3, 500);
    const publish = mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    const job = fakeJob({
      target: {
        plugin: { path: pluginDir('writer', { role: 'writer' }), allow: { hosts: [], secrets: [] } },
      },
    });
    const { logger } = captureLogger();
    const sink = await createPluginSink(job, undefined, { publishDir: publish });
    await sink.open({ runId: 'r1', job: 'plugin_job', tenant: 'acme', logger });
    for (const b of batches) await sink.write(b);
    expect(sink.staged().map((f) => f.key)).toEqual(['batches.jsonl']);
    expect(existsSync(path.join(publish, 'batches.jsonl'))).toBe(false);
    const { record } = await sink.commit({ state: { cursor: '1500' } });
    expect(sink.commitSummary()).toEqual({ rows: 1500, batches: 3 });
    expect(record.rows).toBe(1500);
    expect(record.files.map((f) => f.key)).toEqual(['batches.jsonl', 'summary.json']);
    expect(record.state).toEqual({ cursor: '1500' });
    const lines = readFileSync(path.join(publish, 'batches.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rows: number });
    expect(lines.map((l) => l.rows)).toEqual([500, 500, 500]);
    expect(JSON.parse(readFileSync(path.join(publish, 'summary.json'), 'utf8'))).toEqual({
      rows: 1500,
      batches: 3,
    });
  });

  it('abort drops everything staged', async () => {
    const [batch] = await batchesFromReader(1, 10);
    const job = fakeJob({
      target: {
        plugin: { path: pluginDir('writer', { role: 'writer' }), allow: { hosts: [], secrets: [] } },
      },
    });
    const { logger } = captureLogger();
    const sink = await createPluginSink(job);
    await sink.open({ runId: 'r2', job: 'plugin_job', tenant: 'acme', logger });
    await sink.write(batch as RecordBatch);
    const staging = sink.stagingDir() as string;
    expect(existsSync(path.join(staging, 'batches.jsonl'))).toBe(true);
    await sink.abort('test');
    expect(existsSync(staging)).toBe(false);
    expect(sink.outputs()).toEqual([]);
  });

  it('refuses a reader used as a writer', async () => {
    const job = fakeJob({
      target: { plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } } },
    });
    await expect(createPluginSink(job)).rejects.toThrow(
      /plugin reader is a reader, but the job uses it as a writer/,
    );
  });
});
