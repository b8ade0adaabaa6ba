import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtismInstance } from '../../../host/plugins/extism/instance.js';
import { createPluginSource } from '../../../host/plugins/index.js';
import { validateIpcBatch } from '../../../host/plugins/ipc-frame.js';
import { openPlugin } from '../../../host/plugins/load.js';
import { checkRuntimeConformance } from './conformance.js';
import { buildTestPlugins, fakeJob, pluginDir } from './fixtures.js';

let echo: ExtismInstance;

beforeAll(async () => {
  buildTestPlugins();
  ({ instance: echo } = await openPlugin(pluginDir('echo', { capabilities: { memory_mb: 64 } }), {
    role: 'reader',
    requiredExports: ['echo'],
  }));
}, 120_000);
afterAll(() => echo.close());

describe('Extism runtime conformance', () => {
  it('passes the batch-framing suite', async () => {
    const report = await checkRuntimeConformance({
      runtime: 'extism',
      async echo(ipc) {
        validateIpcBatch(ipc);
        const out = (await echo.call('echo', ipc)) ?? new Uint8Array(0);
        validateIpcBatch(out);
        return out;
      },
      reader: (batches, rows) =>
        createPluginSource(
          fakeJob({
            source: {
              config: { batches, rows },
              plugin: { path: pluginDir('reader'), allow: { hosts: [], secrets: [] } },
            },
          }),
        ),
    });
    expect(report.checks).toHaveLength(10);
  });
});
