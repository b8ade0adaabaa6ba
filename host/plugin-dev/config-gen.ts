/**
 * A plugin config made up from the manifest's JSON Schema, for `dativo plugin test` and plugin unit
 * tests: `default`, then `examples[0]`, `const`, `enum[0]`, then a value of the declared type that
 * meets its bounds. Required properties and properties with a default are filled; the rest are left
 * out, as a user writing a minimal job would.
 */

type JsonSchema = Record<string, unknown>;

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function firstType(s: JsonSchema): string | undefined {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined;
  if (isSchema(s.properties)) return 'object';
  if (isSchema(s.items)) return 'array';
  return undefined;
}

function stringFor(s: JsonSchema): string {
  const format = s.format;
  let v =
    format === 'uri' || format === 'url'
      ? 'http://127.0.0.1:8080/'
      : format === 'date'
        ? '2024-01-01'
        : format === 'date-time'
          ? '2024-01-01T00:00:00Z'
          : format === 'email'
            ? 'test@example.com'
            : 'test';
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  while (v.length < min) v += 'x';
  return typeof s.maxLength === 'number' ? v.slice(0, s.maxLength) : v;
}

function numberFor(s: JsonSchema, integer: boolean): number {
  const lo =
    typeof s.minimum === 'number'
      ? s.minimum
      : typeof s.exclusiveMinimum === 'number'
        ? s.exclusiveMinimum + (integer ? 1 : 0.5)
        : undefined;
  const hi = typeof s.maximum === 'number' ? s.maximum : undefined;
  let v = lo ?? (hi !== undefined ? Math.min(hi, 1) : 1);
  if (integer) v = Math.ceil(v);
  return v;
}

/** A value that satisfies `schema` (as far as these keywords go). */
export function sampleFromSchema(schema: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > 16) return undefined;
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const alts = schema[key];
    if (Array.isArray(alts) && alts.length > 0) {
      if (key !== 'allOf') return sampleFromSchema(alts[0], depth + 1);
      return Object.assign({}, ...alts.map((a) => sampleFromSchema(a, depth + 1) ?? {}));
    }
  }
  switch (firstType(schema)) {
    case 'object': {
      const props = isSchema(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(props)) {
        if (!required.has(k) && !(isSchema(p) && 'default' in p)) continue;
        const v = sampleFromSchema(p, depth + 1);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: min }, () => sampleFromSchema(schema.items, depth + 1));
    }
    case 'string':
      return stringFor(schema);
    case 'integer':
      return numberFor(schema, true);
    case 'number':
      return numberFor(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** The config `plugin test` uses when the plugin folder has no `test-config.yaml`. */
export function configFromSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const v = schema ? sampleFromSchema(schema) : undefined;
  return isSchema(v) ? v : {};
}
