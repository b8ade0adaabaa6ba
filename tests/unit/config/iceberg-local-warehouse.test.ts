/**
 * A local Iceberg warehouse needs no S3 settings: the iceberg recipe's S3 connection template is
 * left out of the merge, so its ${S3_ENDPOINT}/${AWS_*} do not have to be set. Any sign of S3 or a
 * REST catalog keeps it.
 */
import { describe, expect, it } from 'vitest';
import { mergeTarget } from '../../../host/config/effective.js';

const iceberg = {
  name: 'iceberg',
  type: 'iceberg',
  connection_template: { s3: { endpoint: '${S3_ENDPOINT}', access_key_id: '${AWS_ACCESS_KEY_ID}' } },
} as unknown as Parameters<typeof mergeTarget>[0];
const s3 = { ...iceberg, name: 's3', type: 's3' } as unknown as Parameters<typeof mergeTarget>[0];

const merged = (recipe: Parameters<typeof mergeTarget>[0], job: object) =>
  mergeTarget(recipe, job as never, 'native').connection as Record<string, unknown> | undefined;

describe('the iceberg recipe connection template', () => {
  it('is dropped for a local warehouse folder or connection.path', () => {
    expect(merged(iceberg, { warehouse: 'output/wh' })).toBeUndefined();
    expect(merged(iceberg, { warehouse: 'file:///data/wh' })).toBeUndefined();
    expect(merged(iceberg, { connection: { path: 'out' } })).toEqual({ path: 'out' });
  });

  it('is kept for an s3:// warehouse, an S3 connection, a REST catalog, or no warehouse at all', () => {
    expect(merged(iceberg, { warehouse: 's3://lake/wh' })).toHaveProperty('s3.endpoint', '${S3_ENDPOINT}');
    expect(merged(iceberg, { warehouse: 'wh', connection: { s3: { bucket: 'b' } } })).toMatchObject({
      s3: { endpoint: '${S3_ENDPOINT}', bucket: 'b' },
    });
    expect(merged(iceberg, { warehouse: 'wh', connection: { nessie: { uri: 'http://n' } } })).toHaveProperty(
      's3.endpoint',
    );
    expect(merged(iceberg, {})).toHaveProperty('s3.endpoint');
  });

  it('other recipes are untouched', () => {
    expect(merged(s3, { warehouse: 'wh' })).toHaveProperty('s3.endpoint');
  });
});
