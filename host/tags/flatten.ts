/**
 * A TagSet as flat string maps: Parquet key-value metadata (all keys under `dativo.`) and Iceberg
 * table properties (spec §6 names). Unset values are omitted, never written as empty strings.
 */
import type { TagSet } from './derive.js';

export function tagsToKeyValue(tags: TagSet): Record<string, string> {
  const out: Record<string, string> = {};
  put(out, 'dativo.contract.id', tags.asset.contractId);
  put(out, 'dativo.contract.version', tags.asset.version);
  put(out, 'dativo.asset.name', tags.asset.name);
  put(out, 'dativo.asset.domain', tags.asset.domain);
  put(out, 'dativo.asset.data_product', tags.asset.dataProduct);
  put(out, 'dativo.asset.source_type', tags.asset.sourceType);
  put(out, 'dativo.asset.object', tags.asset.object);
  put(out, 'dativo.tenant', tags.tenant);
  for (const [k, v] of Object.entries(commonTags(tags))) out[`dativo.${k}`] = v;
  return out;
}

export function tagsToTableProperties(tags: TagSet): Record<string, string> {
  const out = commonTags(tags);
  put(out, 'asset.name', tags.asset.name);
  put(out, 'asset.version', tags.asset.version);
  put(out, 'asset.domain', tags.asset.domain);
  put(out, 'asset.data_product', tags.asset.dataProduct);
  put(out, 'asset.source_type', tags.asset.sourceType);
  put(out, 'asset.object', tags.asset.object);
  return out;
}

/** `classification.*`, `governance.*`, `finops.*`: the same names in both places. */
function commonTags(tags: TagSet): Record<string, string> {
  const out: Record<string, string> = {};
  put(out, 'classification.default', tags.classification.default);
  for (const [field, value] of Object.entries(tags.classification.fields)) {
    put(out, `classification.fields.${field}`, value);
  }
  const g = tags.governance;
  put(out, 'governance.retention_days', g.retentionDays === undefined ? undefined : String(g.retentionDays));
  put(out, 'governance.owner', g.owner);
  put(out, 'governance.domain', g.domain);
  put(out, 'governance.data_product', g.dataProduct);
  put(out, 'governance.regulations', joined(g.regulations));
  const f = tags.finops;
  put(out, 'finops.cost_center', f.costCenter);
  put(out, 'finops.business_tags', joined(f.businessTags));
  put(out, 'finops.project', f.project);
  put(out, 'finops.environment', f.environment);
  return out;
}

function joined(values: string[]): string | undefined {
  return values.length > 0 ? values.join(',') : undefined;
}

function put(out: Record<string, string>, key: string, value: string | undefined): void {
  if (value !== undefined && value !== '') out[key] = value;
}
