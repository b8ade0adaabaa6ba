/**
 * How a reader plugin starts: its Worker boots while the host checks the plugin, and the module is
 * compiled on the host thread and handed to the worker compiled.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { createPluginSource } from '../../../host/plugins/index.js';
import { appendCustomSection } from '../../../host/plugins/wasm-module.js';
import { BUILT, buildTestPlugins, captureLogger, fakeJob, pluginDir, SOURCE_CTX } from './fixtures.js';

beforeAll(() => buildTestPlugins(), 120_000);

/**
 * A module whose sections the host's own checks accept (ABI section, memory with a maximum, a
 * `next_batch` export) but whose only function body is not valid code, so compiling it fails.
 */
function writeUncompilableModule(): string {
  const name = 'uncompilable';
  const exportName = (s: string) => [s.length, ...Buffer.from(s)];
  const exports = [2, ...exportName('next_batch'), 0x00, 0, ...exportName('memory'), 0x02, 0];
  const bytes = Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f], // type: () -> i32
    ...[0x03, 0x02, 0x01, 0x00], // one function of that type
    ...[0x05, 0x04, 0x01, 0x01, 0x01, 0x10], // memory: 1 page, at most 16
    ...[0x07, exports.length, ...exports],
    ...[0x0a, 0x05, 0x01, 0x03, 0x00, 0xff, 0x0b], // body: an opcode that does not exist
  ]);
  mkdirSync(BUILT, { recursive: true });
  writeFileSync(
    path.join(BUILT, `${name}.wasm`),
    appendCustomSection(bytes, 'dativo_abi', Buffer.from('1.0')),
  );
  return name;
}

describe('starting a reader plugin', () => {
  it('a module that does not compile fails open with PLUGIN_ERROR, and the next source still works', async () => {
    const { logger } = captureLogger();
    const bad = await createPluginSource(
      fakeJob({
        source: { plugin: { path: pluginDir(writeUncompilableModule()), allow: { hosts: [], secrets: [] } } },
      }),
      undefined,
      { logger },
    );
    const err = await bad.open(SOURCE_CTX(logger)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('PLUGIN_ERROR');
    expect((err as DativoError).message).toMatch(/plugin uncompilable failed to start: .*Compiling function/);
    await bad.close();

    const good = await createPluginSource(
      fakeJob({
        source: {
          config: { batches: 2, rows: 10 },
          plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } },
        },
      }),
      undefined,
      { logger },
    );
    await good.open(SOURCE_CTX(logger));
    let rows = 0;
    for await (const b of good.read()) rows += b.batch.numRows;
    await good.close();
    expect(rows).toBe(20);
  });

  it('a source closed without ever being opened closes cleanly; check() still works after', async () => {
    const source = await createPluginSource(
      fakeJob({ source: { plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } } } }),
    );
    await expect(source.close()).resolves.toBeUndefined();
    // check() after close starts an instance of its own, as on a fresh source.
    expect((await source.check()).status).toBe('success');
  });
});
