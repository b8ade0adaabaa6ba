/**
 * Contract files → the normalised Contract. Three inputs load into one shape: the original's flat
 * form (`schema: [{name, type}]`), its legacy `asset:` wrapper (unwrapped, `governance.*` mapped),
 * and standard ODCS v3.0.2 (`schema: [{name, properties: [...]}]`). Every problem is reported at once
 * with its file:line:column.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { issuesToErrors } from '../config/issues.js';
import { formatKeyPath, type KeyPath, loadYamlFile, type YamlSource } from '../config/yaml-source.js';
import { DativoError, DativoErrors, type Location } from '../errors.js';
import type { Contract, ContractField, FieldConstraints, FieldType } from './model.js';
import { FLAT_TYPE_NAMES, flatFieldType, odcsFieldType } from './types-map.js';

const str = z.string();
const loose = z.looseObject;
const strList = z.union([z.array(str), str]);
const primitive = z.union([str, z.number(), z.boolean()]);
const num = z.number();

const constraintKeys = {
  maxLength: z.number().int().min(0).optional(),
  max_length: z.number().int().min(0).optional(),
  pattern: str.optional(),
  enum: z.array(primitive).optional(),
  valid_values: z.array(primitive).optional(),
  validValues: z.array(primitive).optional(),
  minimum: num.optional(),
  maximum: num.optional(),
};

const flatField = loose({
  name: str.min(1),
  type: str.min(1),
  required: z.boolean().optional(),
  classification: str.nullable().optional(),
  description: str.nullable().optional(),
  ...constraintKeys,
});

const odcsProperty = loose({
  name: str.min(1),
  logicalType: str.optional(),
  physicalType: str.optional(),
  required: z.boolean().optional(),
  classification: str.nullable().optional(),
  description: str.nullable().optional(),
  logicalTypeOptions: loose({
    maxLength: z.number().int().min(0).optional(),
    pattern: str.optional(),
    minimum: num.optional(),
    maximum: num.optional(),
  }).optional(),
  quality: z.array(loose({ validValues: z.array(primitive).optional() })).optional(),
  ...constraintKeys,
}).refine((p) => p.logicalType !== undefined || p.physicalType !== undefined, {
  message: 'a property needs "logicalType" or "physicalType"',
});

const odcsObject = loose({ name: str.optional(), properties: z.array(z.unknown()).min(1) });

const body = loose({
  apiVersion: str.optional(),
  kind: str.optional(),
  id: z.union([str, z.number()]).optional(),
  name: str.min(1).optional(),
  version: z.union([str, z.number()]),
  status: str.optional(),
  domain: str.nullable().optional(),
  dataProduct: str.nullable().optional(),
  data_product: str.nullable().optional(),
  tenant: str.nullable().optional(),
  source_type: str.optional(),
  object: str.optional(),
  tags: z.array(str).nullable().optional(),
  owner: str.optional(),
  schema: z.array(z.unknown()),
  team: z
    .union([
      z.array(loose({ username: str.optional(), name: str.optional(), role: str.optional() })),
      loose({ owner: str.optional() }),
    ])
    .optional(),
  governance: loose({
    owner: str.optional(),
    tags: z.array(str).optional(),
    classification: strList.optional(),
    retention_days: z.number().int().min(0).optional(),
  }).optional(),
  compliance: loose({
    classification: strList.nullable().optional(),
    regulations: strList.nullable().optional(),
    retention_days: z.number().int().min(0).optional(),
  }).optional(),
  finops: loose({
    cost_center: str.optional(),
    business_tags: strList.optional(),
    project: str.optional(),
    environment: str.optional(),
  }).optional(),
  target: loose({
    file_format: str.optional(),
    partitioning: z.array(str).optional(),
    mode: str.optional(),
  }).optional(),
});

type Body = z.output<typeof body>;

/** Load a contract file. `referencedFrom` is the job key that named it (for CONFIG_NOT_FOUND). */
export async function loadContract(file: string, referencedFrom?: Location): Promise<Contract> {
  const src = await loadYamlFile(file, referencedFrom);
  return contractFromSource(src);
}

export function contractFromSource(src: YamlSource): Contract {
  const errors: DativoError[] = [];
  const fail = (p: KeyPath, message: string): void => {
    errors.push(
      new DativoError('CONFIG_INVALID', message, {
        location: { ...src.locate(p), keyPath: formatKeyPath(p) },
      }),
    );
  };
  const raw = src.data;
  if (!isMap(raw)) {
    fail([], 'a contract must be a YAML map');
    throw errors[0];
  }
  // The legacy wrapper: everything under `asset:`.
  const wrapped = isMap(raw.asset) && raw.schema === undefined;
  const prefix: KeyPath = wrapped ? ['asset'] : [];
  const data = wrapped ? (raw.asset as Record<string, unknown>) : raw;

  if (!Array.isArray(data.schema) || data.schema.length === 0) {
    fail([...prefix, 'schema'], 'the contract has no fields: "schema" must be a non-empty list');
  }
  const parsed = body.safeParse(
    { ...data, schema: Array.isArray(data.schema) ? data.schema : [] },
    { reportInput: true },
  );
  if (!parsed.success)
    errors.push(...issuesToErrors(parsed.error.issues, src, { prefix, what: 'a contract' }));
  if (errors.length > 0 || !parsed.success) throw bundle(errors);
  const b = parsed.data;

  const odcs = b.schema.some((e) => isMap(e) && 'properties' in e);
  const located = odcs
    ? odcsFields(b.schema, src, prefix, b.object ?? b.name, errors)
    : flatFields(b.schema, src, prefix, errors);
  const seen = new Set<string>();
  for (const { field: f, at } of located) {
    if (seen.has(f.name)) fail([...at, 'name'], `duplicate field "${f.name}"`);
    seen.add(f.name);
  }
  const fields = located.map((l) => l.field);
  const firstObjectName =
    odcs && isMap(b.schema[0]) && typeof b.schema[0].name === 'string' ? b.schema[0].name : undefined;
  const name = b.name ?? firstObjectName;
  if (name === undefined) fail([...prefix, 'name'], 'missing required key "name"');
  if (errors.length > 0 || name === undefined) throw bundle(errors);
  return toContract(src.file, odcs ? 'odcs' : 'flat', b, name, fields);
}

/** A field with the key path it was written at (for later checks such as duplicates). */
type Located = { field: ContractField; at: KeyPath };

function flatFields(entries: unknown[], src: YamlSource, prefix: KeyPath, errors: DativoError[]): Located[] {
  const out: Located[] = [];
  entries.forEach((entry, i) => {
    const at: KeyPath = [...prefix, 'schema', i];
    const r = flatField.safeParse(entry, { reportInput: true });
    if (!r.success) {
      errors.push(...issuesToErrors(r.error.issues, src, { prefix: at, what: 'a contract field' }));
      return;
    }
    const f = r.data;
    const type = flatFieldType(f.type);
    if (type === undefined || type instanceof Error) {
      const why =
        type instanceof Error
          ? type.message
          : `unknown type "${f.type}" (known: ${FLAT_TYPE_NAMES.join(', ')})`;
      errors.push(positioned(src, [...at, 'type'], `field "${f.name}": ${why}`));
      return;
    }
    out.push({ field: field(f.name, type, f.type, f, constraintsOf(f)), at });
  });
  return out;
}

function odcsFields(
  entries: unknown[],
  src: YamlSource,
  prefix: KeyPath,
  wanted: string | undefined,
  errors: DativoError[],
): Located[] {
  // One contract describes one object; with several, `object` (or `name`) picks it.
  let index = 0;
  if (entries.length > 1) {
    index = entries.findIndex((e) => isMap(e) && e.name === wanted);
    if (index < 0) {
      errors.push(
        positioned(
          src,
          [...prefix, 'schema'],
          `the contract has ${entries.length} schema objects; set "object" to the one to load`,
        ),
      );
      return [];
    }
  }
  const objAt: KeyPath = [...prefix, 'schema', index];
  const r = odcsObject.safeParse(entries[index], { reportInput: true });
  if (!r.success) {
    errors.push(...issuesToErrors(r.error.issues, src, { prefix: objAt, what: 'a schema object' }));
    return [];
  }
  const out: Located[] = [];
  r.data.properties.forEach((entry, i) => {
    const at: KeyPath = [...objAt, 'properties', i];
    const p = odcsProperty.safeParse(entry, { reportInput: true });
    if (!p.success) {
      errors.push(...issuesToErrors(p.error.issues, src, { prefix: at, what: 'a contract property' }));
      return;
    }
    const f = p.data;
    const type = odcsFieldType(f.logicalType, f.physicalType);
    if (type === undefined || type instanceof Error) {
      const key = f.physicalType !== undefined ? 'physicalType' : 'logicalType';
      const why = type instanceof Error ? type.message : `unknown type "${f.physicalType ?? f.logicalType}"`;
      errors.push(positioned(src, [...at, key], `property "${f.name}": ${why}`));
      return;
    }
    const c = constraintsOf(f);
    const o = f.logicalTypeOptions;
    if (o?.maxLength !== undefined) c.maxLength = o.maxLength;
    if (o?.pattern !== undefined) c.pattern = o.pattern;
    if (o?.minimum !== undefined) c.minimum = o.minimum;
    if (o?.maximum !== undefined) c.maximum = o.maximum;
    const fromQuality = f.quality?.find((q) => q.validValues)?.validValues;
    if (fromQuality && !c.validValues) c.validValues = fromQuality;
    out.push({ field: field(f.name, type, f.physicalType ?? f.logicalType ?? '', f, c), at });
  });
  return out;
}

type FieldInput = { required?: boolean; classification?: string | null; description?: string | null };

function field(
  name: string,
  type: FieldType,
  typeName: string,
  f: FieldInput,
  constraints: FieldConstraints,
): ContractField {
  const out: ContractField = { name, type, typeName, required: f.required ?? false, constraints };
  if (f.classification) out.classification = f.classification.toLowerCase();
  if (f.description) out.description = f.description;
  return out;
}

function constraintsOf(f: z.output<typeof flatField> | z.output<typeof odcsProperty>): FieldConstraints {
  const c: FieldConstraints = {};
  const maxLength = f.maxLength ?? f.max_length;
  if (maxLength !== undefined) c.maxLength = maxLength;
  if (f.pattern !== undefined) c.pattern = f.pattern;
  const valid = f.enum ?? f.valid_values ?? f.validValues;
  if (valid !== undefined) c.validValues = valid;
  if (f.minimum !== undefined) c.minimum = f.minimum;
  if (f.maximum !== undefined) c.maximum = f.maximum;
  return c;
}

function toContract(
  file: string,
  form: 'flat' | 'odcs',
  b: Body,
  name: string,
  fields: ContractField[],
): Contract {
  const version = String(b.version);
  const gov = b.governance;
  const list = (v: string[] | string | null | undefined): string[] =>
    v == null
      ? []
      : Array.isArray(v)
        ? v
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  const tags = [...new Set([...(b.tags ?? []), ...(gov?.tags ?? [])])];
  const classification = list(b.compliance?.classification ?? gov?.classification).map((c) =>
    c.toLowerCase(),
  );
  const contract: Contract = {
    file,
    form,
    apiVersion: b.apiVersion ?? 'v3.0.2',
    kind: b.kind ?? 'DataContract',
    id: b.id === undefined ? deterministicId(name, version) : String(b.id),
    name,
    version,
    status: b.status ?? 'active',
    tags,
    compliance: { classification, regulations: list(b.compliance?.regulations) },
    finops: { businessTags: list(b.finops?.business_tags) },
    target: {},
    fields,
  };
  const retention = b.compliance?.retention_days ?? gov?.retention_days;
  if (retention !== undefined) contract.compliance.retentionDays = retention;
  const set = <K extends keyof Contract>(k: K, v: Contract[K] | null | undefined): void => {
    if (v !== undefined && v !== null) contract[k] = v;
  };
  set('domain', b.domain);
  set('dataProduct', b.dataProduct ?? b.data_product);
  set('tenant', b.tenant);
  set('sourceType', b.source_type);
  set('object', b.object);
  set('owner', ownerOf(b));
  const fo = b.finops;
  if (fo?.cost_center !== undefined) contract.finops.costCenter = fo.cost_center;
  if (fo?.project !== undefined) contract.finops.project = fo.project;
  if (fo?.environment !== undefined) contract.finops.environment = fo.environment;
  const t = b.target;
  if (t?.file_format !== undefined) contract.target.fileFormat = t.file_format;
  if (t?.partitioning !== undefined) contract.target.partitioning = t.partitioning;
  if (t?.mode !== undefined) contract.target.mode = t.mode;
  return contract;
}

/** team.owner (the original's object form), an ODCS team member with role owner, governance.owner, owner. */
function ownerOf(b: Body): string | undefined {
  const team = b.team;
  if (Array.isArray(team)) {
    const m = team.find((t) => t.role?.toLowerCase() === 'owner') ?? team[0];
    const who = m?.username ?? m?.name;
    if (who) return who;
  } else if (team?.owner) return team.owner;
  return b.governance?.owner ?? b.owner;
}

/** A UUID (v5 layout) from name and version, so a contract without `id` keeps the same id on every load. */
export function deterministicId(name: string, version: string): string {
  const NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'; // RFC 4122 URL namespace
  const ns = Buffer.from(NAMESPACE.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(`dativo:contract:${name}@${version}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function positioned(src: YamlSource, p: KeyPath, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', message, {
    location: { ...src.locate(p), keyPath: formatKeyPath(p) },
  });
}

function bundle(errors: DativoError[]): DativoError {
  const sorted = [...errors].sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0));
  return sorted.length === 1 && sorted[0] ? sorted[0] : new DativoErrors(sorted);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
