/**
 * A writer plugin's outputs through the commit protocol on a store: published once with a done
 * record, invisible after a crash before the record (and cleaned by the next start), rolled
 * forward after a crash after it. The plugin is a stand-in that writes one file per run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginSink } from '../../../host/plugins/extism/sink.js';
import { recover } from '../../../host/sinks/commit.js';
import { SimulatedCrash } from '../../../host/sinks/file-sink.js';
import { createPluginOutputSink } from '../../../host/sinks/plugin-outputs.js';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { ctx, tempDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A plugin that "wrote" `report.txt` with the given text and `rows` rows; records its abort reasons. */
function fakePlugin(text: string, rows: number): PluginSink & { aborted: string[] } {
  const dir = tempDir('dativo-fake-plugin-');
  dirs.push(dir);
  const file = path.join(dir, 'report.txt');
  fs.writeFileSync(file, text);
  const aborted: string[] = [];
  return {
    kind: 'plugin:fake',
    aborted,
    open: async () => ({ rolledForward: [], cleaned: [] }),
    write: async () => {},
    commit: async (req) => ({
      record: {
        version: 1,
        runId: 'x',
        job: 'j',
        tenant: 't',
        createdAt: '',
        status: 'done',
        files: [],
        rows,
        bytes: 0,
        state: req.state,
      },
    }),
    abort: async (reason) => {
      aborted.push(reason);
    },
    staged: () => [],
    outputs: () => [{ name: 'report.txt', path: file, bytes: text.length }],
    commitSummary: () => ({}),
    stagingDir: () => dir,
  };
}

function target() {
  const root = tempDir('dativo-plugin-target-');
  dirs.push(root);
  const store = createLocalStore(root);
  const closed: number[] = [];
  const sink = (plugin: PluginSink) =>
    createPluginOutputSink({
      plugin,
      store: Object.assign(store, { close: () => closed.push(1) }),
      layout: { domain: 'd', dataProduct: 'p', assetName: 'Orders' },
    });
  /** Every file under the target, relative to it. */
  const files = () =>
    (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(root, f)).isFile())
      .sort();
  return { root, store, sink, files, closed };
}

describe('createPluginOutputSink', () => {
  it('publishes the outputs under the asset folder with a done record, rejects included', async () => {
    const t = target();
    const sink = t.sink(fakePlugin('hello\n', 3));
    await sink.open(ctx('r1'));
    const rejects = path.join(t.root, '..', `${path.basename(t.root)}-rejects.jsonl`);
    fs.writeFileSync(rejects, '{"row":2}\n');
    dirs.push(rejects);
    const { record } = await sink.commit({ state: { cursor: 'c1' }, rejectsFile: rejects });

    expect(record).toMatchObject({ status: 'done', rows: 3, bytes: 6, state: { cursor: 'c1' } });
    expect(t.files()).toEqual(['_dativo/commits/r1.json', '_rejects/r1.jsonl', 'd/p/orders/report-r1.txt']);
    expect(fs.readFileSync(path.join(t.root, 'd/p/orders/report-r1.txt'), 'utf8')).toBe('hello\n');
    expect(t.closed).toHaveLength(1);
  });

  it('a crash before the record leaves nothing visible; the next start deletes the staging', async () => {
    const t = target();
    const plugin = fakePlugin('lost\n', 1);
    const sink = t.sink(plugin);
    await sink.open(ctx('r1'));
    await expect(sink.commit({ state: {}, _crashAfter: 'staged' } as never)).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(t.files()).toEqual(['_dativo/staging/r1/_job.json', '_dativo/staging/r1/report.txt.part']);
    // A simulated crash is a dying process: the sink must not tidy up behind it.
    expect(plugin.aborted).toEqual(['published by the host']);

    const report = await recover(t.store, { job: 'job-a', tenant: 'acme' });
    expect(report).toEqual({ rolledForward: [], cleaned: ['r1'] });
    expect(t.files()).toEqual([]);
  });

  it('a crash after the record is rolled forward by the next start: the output appears once', async () => {
    const t = target();
    const sink = t.sink(fakePlugin('kept\n', 1));
    await sink.open(ctx('r1'));
    await expect(sink.commit({ state: { n: 1 }, _crashAfter: 'record' } as never)).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(t.files().some((f) => f.startsWith('d/'))).toBe(false);

    const next = t.sink(fakePlugin('second\n', 1));
    const report = await next.open(ctx('r2'));
    expect(report.rolledForward).toEqual(['r1']);
    expect(report.latest).toMatchObject({ runId: 'r1', status: 'done', state: { n: 1 } });
    expect(fs.readFileSync(path.join(t.root, 'd/p/orders/report-r1.txt'), 'utf8')).toBe('kept\n');
    await next.abort('nothing new');
    expect(t.files()).toEqual(['_dativo/commits/r1.json', 'd/p/orders/report-r1.txt']);
  });

  it('a failure while staging removes the staging and aborts the plugin', async () => {
    const t = target();
    const plugin = fakePlugin('x', 1);
    plugin.outputs = () => [{ name: 'gone.txt', path: path.join(t.root, 'no-such-file'), bytes: 1 }];
    const sink = t.sink(plugin);
    await sink.open(ctx('r1'));
    await expect(sink.commit({ state: {} })).rejects.toThrow();
    expect(t.files()).toEqual([]);
    expect(plugin.aborted.length).toBeGreaterThan(0);
  });

  it('runs afterPublish once the outputs are visible; its failure neither fails the commit nor drops output', async () => {
    const t = target();
    const plugin = fakePlugin('published\n', 2);
    const seen: string[][] = [];
    plugin.afterPublish = async (record) => {
      seen.push([record.status, ...t.files()]);
      throw new Error('upload failed in commit_files');
    };
    const sink = t.sink(plugin);
    await sink.open(ctx('r1'));
    const { record } = await sink.commit({ state: {} });
    expect(record).toMatchObject({ status: 'done', rows: 2 });
    // It ran after the publish, with the done record; the plugin was not aborted before it.
    expect(seen).toEqual([['done', '_dativo/commits/r1.json', 'd/p/orders/report-r1.txt']]);
    expect(plugin.aborted).toEqual([]);
    expect(t.files()).toEqual(['_dativo/commits/r1.json', 'd/p/orders/report-r1.txt']);
  });
});
