/** OpenLineage dataset names from job locations, by the spec's naming conventions. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetOf } from '../../../host/cli/openlineage.js';

describe('OpenLineage dataset naming', () => {
  it('S3, other URLs, local paths and bare object names', () => {
    expect(datasetOf('s3://lake/raw/acme/orders', 'x://t')).toEqual({
      namespace: 's3://lake',
      name: 'raw/acme/orders',
    });
    expect(datasetOf('s3://lake', 'x://t')).toEqual({ namespace: 's3://lake', name: '/' });
    expect(datasetOf('postgres://db.internal:5432/shop/public.orders', 'x://t')).toEqual({
      namespace: 'postgres://db.internal:5432',
      name: 'shop/public.orders',
    });
    expect(datasetOf('/data/out', 'x://t')).toEqual({ namespace: 'file', name: '/data/out' });
    expect(datasetOf('./out', 'x://t')).toEqual({ namespace: 'file', name: path.resolve('out') });
    expect(datasetOf('orders', 'postgres://acme')).toEqual({ namespace: 'postgres://acme', name: 'orders' });
  });
});
