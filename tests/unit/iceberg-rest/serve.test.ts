/** `serveWarehouse`: a REST catalog over a local warehouse directory, as users start it. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRestCatalog } from '../../../host/iceberg/rest/client.js';
import { serveWarehouse } from '../../../host/iceberg/rest/serve.js';
import { ident, SCHEMA } from './helpers.js';

describe('serveWarehouse', () => {
  it('serves a local directory; tables land in it and config names the warehouse', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-serve-wh-'));
    const running = await serveWarehouse({ warehouse: dir, port: 0, credential: 'spark:s3cret-for-spark' });
    try {
      expect(running.warehouse).toBe(pathToFileURL(dir).href);
      const c = createRestCatalog({ uri: running.url, credential: 'spark:s3cret-for-spark' });
      expect((await c.config()).warehouse).toBe(running.warehouse);
      const t = await c.createTable(ident('orders', 'sales'), { name: 'orders', schema: SCHEMA });
      expect(t.metadataLocation).toBe(`${running.warehouse}/sales/orders/metadata/v1.metadata.json`);
      expect(existsSync(path.join(dir, 'sales/orders/metadata/v1.metadata.json'))).toBe(true);
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a warehouse scheme it cannot write', async () => {
    await expect(serveWarehouse({ warehouse: 'gs://bucket/lake' })).rejects.toThrow(
      'unsupported warehouse gs://bucket/lake',
    );
  });
});
