/**
 * Tags (spec §6): classification, governance, FinOps and asset identity, derived from the contract and
 * the job's overrides. No automatic classification, and no label for a field nobody labelled (the
 * original tagged every CSV column `column`).
 *
 * Precedence, low → high: source tags < contract field classification < job classification_overrides.
 */
import type { Contract } from '../contract/model.js';

export interface TagSet {
  classification: {
    /** Table default: the overrides' `default`, else the contract's first compliance classification. */
    default?: string;
    /** Contract field name → lower-cased label; only fields that have one. */
    fields: Record<string, string>;
  };
  governance: {
    retentionDays?: number;
    owner?: string;
    domain?: string;
    dataProduct?: string;
    regulations: string[];
  };
  finops: {
    costCenter?: string;
    businessTags: string[];
    project?: string;
    environment?: string;
  };
  asset: {
    name: string;
    version: string;
    domain?: string;
    dataProduct?: string;
    sourceType?: string;
    object?: string;
    contractId: string;
  };
  tenant: string;
}

export interface FinopsInput {
  costCenter?: string;
  businessTags?: string[];
  project?: string;
  environment?: string;
}

export interface DeriveTagsInput {
  contract: Contract;
  /** Field → label, plus the special key `default` for the table. */
  classificationOverrides: Record<string, string>;
  finops?: FinopsInput;
  governanceOverrides?: { retentionDays?: number; owner?: string };
  /** Field → label from the source system (column comments, key flags). */
  sourceTags?: Record<string, string>;
  tenant: string;
}

const DEFAULT_KEY = 'default';

export function deriveTags(input: DeriveTagsInput): TagSet {
  const { contract } = input;
  const overrides = input.classificationOverrides;
  const gov = input.governanceOverrides ?? {};
  const jobFinops = input.finops ?? {};

  return {
    classification: {
      default: label(overrides[DEFAULT_KEY]) ?? label(contract.compliance.classification[0]),
      fields: fieldClassifications(contract, overrides, input.sourceTags ?? {}),
    },
    governance: {
      // `!== undefined`, not truthiness: a retention of 0 days is a real policy.
      retentionDays: gov.retentionDays !== undefined ? gov.retentionDays : contract.compliance.retentionDays,
      // An empty override removes the contract's owner.
      owner: gov.owner !== undefined ? gov.owner || undefined : contract.owner,
      domain: contract.domain,
      dataProduct: contract.dataProduct,
      regulations: [...contract.compliance.regulations],
    },
    finops: {
      costCenter: jobFinops.costCenter ?? contract.finops.costCenter,
      businessTags:
        jobFinops.businessTags && jobFinops.businessTags.length > 0
          ? [...jobFinops.businessTags]
          : [...contract.finops.businessTags],
      project: jobFinops.project ?? contract.finops.project,
      environment: jobFinops.environment ?? contract.finops.environment,
    },
    asset: {
      name: contract.name,
      version: contract.version,
      domain: contract.domain,
      dataProduct: contract.dataProduct,
      sourceType: contract.sourceType,
      object: contract.object,
      contractId: contract.id,
    },
    tenant: input.tenant,
  };
}

/**
 * Labels for the contract's fields only: a source tag or override naming a column the contract does
 * not have would describe data the table does not keep. Names match exactly first, then ignoring
 * case (overrides arrive lower-cased from YAML keys written by hand).
 */
function fieldClassifications(
  contract: Contract,
  overrides: Record<string, string>,
  sourceTags: Record<string, string>,
): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const field of contract.fields) {
    const value =
      label(pick(overrides, field.name, true)) ??
      label(field.classification) ??
      label(pick(sourceTags, field.name, false));
    if (value !== undefined) fields[field.name] = value;
  }
  return fields;
}

function pick(map: Record<string, string>, name: string, skipDefault: boolean): string | undefined {
  if (Object.hasOwn(map, name)) return map[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(map)) {
    if (skipDefault && k === DEFAULT_KEY) continue;
    if (k.toLowerCase() === lower) return v;
  }
  return undefined;
}

/** Lower-cased, trimmed; empty means "no label". */
function label(value: string | undefined | null): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return v === '' ? undefined : v;
}
