/**
 * The normalised data contract. Both input forms (the original's flat `schema: [{name, type}]` and
 * standard ODCS v3.0.2 `schema: [{name, properties: [...]}]`) load into this one shape, so nothing
 * downstream asks which form a contract was written in.
 */

export type FieldType =
  | { kind: 'string' }
  | { kind: 'int64' }
  | { kind: 'float64' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'bool' }
  | { kind: 'date' }
  /**
   * `utc`: true when the contract says the column is zone-aware (ODCS physicalType timestamptz,
   * `timestamp with time zone`); false when it says naive; 'auto' for the flat form, where the first
   * non-null value of a run decides (an offset or Z makes the column UTC-adjusted).
   */
  | { kind: 'timestamp'; utc: boolean | 'auto' }
  /** array/object: stored as utf8 holding JSON. */
  | { kind: 'json' };

export interface FieldConstraints {
  maxLength?: number;
  pattern?: string;
  validValues?: (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
}

export interface ContractField {
  name: string;
  type: FieldType;
  /** The type as written in the contract (e.g. `bigint`, `decimal(10,2)`), for messages. */
  typeName: string;
  required: boolean;
  /** Lower-cased classification label, if any. */
  classification?: string;
  description?: string;
  constraints: FieldConstraints;
}

export interface Contract {
  /** Absolute path of the contract file. */
  file: string;
  form: 'flat' | 'odcs';
  apiVersion: string;
  kind: string;
  id: string;
  name: string;
  version: string;
  status: string;
  domain?: string;
  dataProduct?: string;
  tenant?: string;
  sourceType?: string;
  object?: string;
  tags: string[];
  owner?: string;
  compliance: {
    classification: string[];
    regulations: string[];
    retentionDays?: number;
  };
  finops: {
    costCenter?: string;
    businessTags: string[];
    project?: string;
    environment?: string;
  };
  target: {
    fileFormat?: string;
    partitioning?: string[];
    mode?: string;
  };
  fields: ContractField[];
}

const SENSITIVE_EXACT = new Set(['sensitive', 'confidential', 'restricted', 'secret', 'financial']);

/** Architecture §7: which classifications mask a field's values in reports. */
export function isSensitiveClassification(label: string | undefined): boolean {
  if (!label) return false;
  const l = label.toLowerCase();
  return l.includes('pii') || l.includes('phi') || l.includes('pci') || SENSITIVE_EXACT.has(l);
}
