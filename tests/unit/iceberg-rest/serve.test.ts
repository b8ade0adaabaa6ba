/** `serveWarehouse`: a REST catalog over a local warehouse directory, as users start it. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRestCatalog } from '../../../host/iceberg/rest/client.js';
import { serveWarehouse } from '../../../host/iceberg/rest/serve.js';
import { ident, SCHEMA, serveTempCatalog } from './helpers.js';

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

  it('an S3 warehouse serves its FileIO properties in /v1/config and every load-table answer, never the keys', async () => {
    const running = await serveWarehouse({
      warehouse: 's3://lake-never-contacted/wh',
      port: 0,
      s3: {
        endpoint: 'http://127.0.0.1:1',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDFILEIOTEST', secretAccessKey: 'fileio-secret-value' },
      },
    });
    const expected = {
      'io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      's3.endpoint': 'http://127.0.0.1:1',
      's3.path-style-access': 'true',
      's3.region': 'eu-west-1',
      'client.region': 'eu-west-1',
    };
    try {
      const text = await (await fetch(`${running.url}/v1/config`)).text();
      expect(JSON.parse(text).defaults).toMatchObject(expected);
      expect(text).not.toContain('AKIDFILEIOTEST');
      expect(text).not.toContain('fileio-secret-value');
    } finally {
      await running.close();
    }
    // a load-table answer carries the same properties in its `config`
    const f = await serveTempCatalog({ fileIo: expected });
    try {
      await f.catalog.createTable(ident('orders', 'sales'), { name: 'orders', schema: SCHEMA });
      const loaded = await fetch(`${f.server.url}/v1/namespaces/sales/tables/orders`);
      expect(loaded.status).toBe(200);
      expect(((await loaded.json()) as { config: unknown }).config).toEqual(expected);
    } finally {
      await f.close();
    }
  });

  it('refuses a warehouse scheme it cannot write', async () => {
    await expect(serveWarehouse({ warehouse: 'gs://bucket/lake' })).rejects.toThrow(
      'unsupported warehouse gs://bucket/lake',
    );
  });
});
