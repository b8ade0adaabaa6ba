/**
 * The read-only file input capability: the job's source.files (globs expanded) granted by
 * logical name to readers whose manifest requests `capabilities.files`; ranges read straight into
 * linear memory.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalNames } from '../../../host/plugins/index.js';
import { openPlugin } from '../../../host/plugins/load.js';
import { buildFileReader, readRequest } from './file-plugin.js';
import { captureLogger, pluginDir } from './fixtures.js';

let dir: string;
let module: string;
const text = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array());

beforeAll(() => {
  module = buildFileReader();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-input-files-'));
  mkdirSync(path.join(dir, 'a'));
  mkdirSync(path.join(dir, 'b'));
  writeFileSync(path.join(dir, 'a', 'orders.csv'), 'id,amount\n1,10\n2,20\n');
  writeFileSync(path.join(dir, 'b', 'orders.csv'), 'id,amount\n3,30\n');
  writeFileSync(path.join(dir, 'b', 'extra.csv'), 'x\n');
}, 600_000);

describe('logical names', () => {
  it('are base names, made unique in order', () => {
    expect(logicalNames(['/x/a.csv', '/y/a.csv', '/z/b.csv', '/w/a.csv'])).toEqual([
      'a.csv',
      '2-a.csv',
      'b.csv',
      '3-a.csv',
    ]);
  });
});

describe('input_list and input_read', () => {
  it('lists the granted files (globs expanded) by logical name and size, never a host path', async () => {
    const { instance, grant } = await openPlugin(pluginDir(module, { capabilities: { files: true } }), {
      role: 'reader',
      files: [{ path: path.join(dir, 'a', 'orders.csv') }, { path: path.join(dir, 'b', '*.csv') }],
    });
    expect(grant.files?.map((f) => f.name)).toEqual(['orders.csv', 'extra.csv', '2-orders.csv']);
    const listed = JSON.parse(text(await instance.call('list')));
    expect(listed).toEqual([
      { name: 'orders.csv', size: 20 },
      { name: 'extra.csv', size: 2 },
      { name: '2-orders.csv', size: 15 },
    ]);
    expect(JSON.stringify(listed)).not.toContain(dir);
    await instance.close();
  });

  it('reads byte ranges of a granted file; past the end is 0 bytes', async () => {
    const { instance } = await openPlugin(pluginDir(module, { capabilities: { files: true } }), {
      role: 'reader',
      files: [{ path: path.join(dir, 'a', 'orders.csv') }],
    });
    expect(text(await instance.call('read', readRequest('orders.csv', 0, 1000)))).toBe(
      'id,amount\n1,10\n2,20\n',
    );
    expect(text(await instance.call('read', readRequest('orders.csv', 10, 5)))).toBe('1,10\n');
    expect((await instance.call('read', readRequest('orders.csv', 20, 100)))?.byteLength ?? 0).toBe(0);
    expect((await instance.call('read', readRequest('orders.csv', 1_000_000, 100)))?.byteLength ?? 0).toBe(0);
    await instance.close();
  });

  it('grants nothing when the manifest does not request files (and says so in the log)', async () => {
    const { logger, parsed } = captureLogger();
    const { instance, grant } = await openPlugin(pluginDir(module), {
      role: 'reader',
      files: [{ path: path.join(dir, 'a', 'orders.csv') }],
      logger,
    });
    expect(grant.files).toEqual([]);
    expect(JSON.parse(text(await instance.call('list')))).toEqual([]);
    expect(parsed().some((l) => l.event_type === 'plugin_not_granted' && l.capability === 'file')).toBe(true);
    await instance.close();
  });
});
