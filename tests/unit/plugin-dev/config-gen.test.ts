import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromSchema, sampleFromSchema } from '../../../host/plugin-dev/config-gen.js';
import { mockConfig } from '../../../host/plugin-dev/records.js';
import { parseManifest, validatePluginConfig } from '../../../host/plugins/manifest.js';

const manifestOf = (rel: string) => {
  const file = fileURLToPath(new URL(`../../../${rel}`, import.meta.url));
  return parseManifest(readFileSync(file, 'utf8'), file);
};

describe('a config made up from a JSON Schema', () => {
  it('prefers default, then examples, const and enum', () => {
    expect(sampleFromSchema({ type: 'integer', default: 7, examples: [3] })).toBe(7);
    expect(sampleFromSchema({ type: 'string', examples: ['a', 'b'] })).toBe('a');
    expect(sampleFromSchema({ const: 'x' })).toBe('x');
    expect(sampleFromSchema({ enum: ['csv', 'json'] })).toBe('csv');
  });

  it('meets bounds and formats', () => {
    expect(sampleFromSchema({ type: 'integer', minimum: 10 })).toBe(10);
    expect(sampleFromSchema({ type: 'integer', exclusiveMinimum: 10 })).toBe(11);
    expect(sampleFromSchema({ type: 'number', maximum: 0.5 })).toBe(0.5);
    expect(sampleFromSchema({ type: 'string', minLength: 6 })).toBe('testxx');
    expect(sampleFromSchema({ type: 'string', format: 'uri' })).toBe('http://127.0.0.1:8080/');
    expect(sampleFromSchema({ type: ['null', 'boolean'] })).toBe(false);
    expect(sampleFromSchema({ type: 'array', minItems: 2, items: { type: 'integer' } })).toEqual([1, 1]);
  });

  it('fills required properties and those with a default, and leaves the rest out', () => {
    expect(
      configFromSchema({
        type: 'object',
        required: ['url', 'nested'],
        properties: {
          url: { type: 'string' },
          size: { type: 'integer', default: 100 },
          optional: { type: 'string' },
          nested: { type: 'object', required: ['k'], properties: { k: { type: 'boolean' } } },
        },
      }),
    ).toEqual({ url: 'test', size: 100, nested: { k: false } });
    expect(configFromSchema(undefined)).toEqual({});
  });

  it("satisfies the first-party plugins' own schemas, as the host checks them", () => {
    for (const rel of [
      'plugins/http-json-reader/dativo-plugin.yaml',
      'plugins/jsonl-writer/dativo-plugin.yaml',
      'plugin-pdk/templates/rust-reader/dativo-plugin.yaml',
      'plugin-pdk/templates/python-reader/dativo-plugin.yaml',
    ]) {
      const manifest = manifestOf(rel);
      const config = mockConfig(manifest);
      expect(() => validatePluginConfig(manifest, config), rel).not.toThrow();
    }
    expect(mockConfig(manifestOf('plugins/http-json-reader/dativo-plugin.yaml'))).toMatchObject({
      url: 'http://127.0.0.1:8080/',
      records_path: '',
      fields: [{ name: 'test', type: 'string', required: false }],
    });
  });
});
