import { describe, expect, it } from 'vitest';
import { JOB_TOP_LEVEL_KEYS } from '../../../host/config/job-schema.js';
import { jobJsonSchema } from '../../../host/config/json-schema.js';

type Obj = {
  properties: Record<string, Obj>;
  required?: string[];
  additionalProperties?: unknown;
  enum?: string[];
};

describe('jobJsonSchema', () => {
  const schema = jobJsonSchema() as unknown as Obj;

  it('has every top-level key of a job and refuses others, as the loader does', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...JOB_TOP_LEVEL_KEYS].sort());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toContain('asset_path');
  });

  it('describes nested blocks from the same zod schemas (target file formats, source incremental)', () => {
    const target = schema.properties.target as Obj;
    expect(target.properties.file_format?.enum).toEqual([
      'parquet',
      'iceberg',
      'delta',
      'csv',
      'json',
      'markdown_kv',
    ]);
    const source = schema.properties.source as Obj;
    expect(Object.keys(source.properties)).toEqual(
      expect.arrayContaining(['files', 'tables', 'incremental', 'plugin']),
    );
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
