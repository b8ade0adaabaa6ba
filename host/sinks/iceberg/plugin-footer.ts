/**
 * A writer plugin's outputs, judged by their Parquet footers alone before anything is written to an
 * Iceberg table: each output must be Parquet, and each of its columns must be a contract column
 * whose Parquet type maps onto the column's Iceberg type without loss. Only the footer is read
 * here; the rows are read later, a row group at a time (plugin-rows.ts), with this footer.
 */
import { open } from 'node:fs/promises';
import type { Field, Schema } from 'apache-arrow';
import { type FileMetaData, parquetMetadata, type SchemaElement } from 'hyparquet';
import { DativoError } from '../../errors.js';
import { readFooter } from '../../iceberg/footer.js';
import { icebergTypeOfArrow } from '../../iceberg/values.js';

/** One output that passed: its footer and, per contract column, how to read it. */
export interface CheckedOutput {
  name: string;
  path: string;
  metadata: FileMetaData;
  /** Timestamp columns: the zone the file's values carry (decides a `utc: auto` column). */
  utc: Map<string, boolean>;
}

export interface OutputRef {
  name: string;
  path: string;
}

/**
 * The Iceberg type a Parquet leaf stores losslessly, or a description of why none fits (shown as
 * "found" in the error). Unsigned integers, times, nanosecond and INT96 timestamps, and decimals
 * beyond 15 digits (read through float64 by the reader) are refused.
 */
export function icebergTypeOfLeaf(el: SchemaElement): { type?: string; found: string } {
  const lt = el.logical_type;
  const ct = el.converted_type;
  if (el.repetition_type === 'REPEATED') return { found: 'repeated (list)' };
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') {
    const p = el.precision ?? (lt?.type === 'DECIMAL' ? lt.precision : 0);
    const s = el.scale ?? (lt?.type === 'DECIMAL' ? lt.scale : 0);
    const found = `decimal(${p}, ${s})`; // Iceberg's spelling
    return p <= 15 ? { type: found, found } : { found: `${found} (more than 15 digits)` };
  }
  if (ct?.startsWith('UINT_') || (lt?.type === 'INTEGER' && !lt.isSigned)) {
    return { found: ct?.toLowerCase() ?? `uint${lt?.type === 'INTEGER' ? lt.bitWidth : ''}` };
  }
  if (ct === 'TIME_MILLIS' || ct === 'TIME_MICROS' || lt?.type === 'TIME') return { found: 'time' };
  switch (el.type) {
    case 'BOOLEAN':
      return { type: 'boolean', found: 'boolean' };
    case 'INT32':
      return ct === 'DATE' || lt?.type === 'DATE'
        ? { type: 'date', found: 'date' }
        : { type: 'int', found: 'int' };
    case 'INT64':
      return timestampOrLong(el);
    case 'FLOAT':
      return { type: 'float', found: 'float' };
    case 'DOUBLE':
      return { type: 'double', found: 'double' };
    case 'BYTE_ARRAY':
      if (ct === 'UTF8' || ct === 'JSON' || ct === 'ENUM' || lt?.type === 'STRING' || lt?.type === 'JSON')
        return { type: 'string', found: 'string' };
      return { found: 'binary' };
    default:
      return { found: String(el.type ?? 'group').toLowerCase() };
  }
}

function timestampOrLong(el: SchemaElement): { type?: string; found: string } {
  const lt = el.logical_type;
  const ct = el.converted_type;
  if (lt?.type === 'TIMESTAMP') {
    const type = lt.isAdjustedToUTC ? 'timestamptz' : 'timestamp';
    if (lt.unit === 'NANOS') return { found: `${type} (nanoseconds)` };
    return { type, found: type }; // milliseconds are scaled when read
  }
  // The converted types alone mean UTC-adjusted instants (Parquet format, LogicalTypes.md).
  if (ct === 'TIMESTAMP_MICROS') return { type: 'timestamptz', found: 'timestamptz' };
  if (ct === 'TIMESTAMP_MILLIS') return { type: 'timestamptz', found: 'timestamptz' };
  return { type: 'long', found: 'long' };
}

/** Types a column of the wanted Iceberg type accepts (Iceberg's own lossless promotions). */
function accepts(wanted: string, got: string, autoZone: boolean): boolean {
  if (wanted === got) return true;
  if (wanted === 'long' && got === 'int') return true;
  if (wanted === 'double' && got === 'float') return true;
  // a `utc: auto` timestamp takes the file's zone, as the native path takes the data's
  return autoZone && wanted.startsWith('timestamp') && got.startsWith('timestamp');
}

function badOutput(plugin: string, file: string, message: string, field?: string): DativoError {
  return new DativoError('PLUGIN_BAD_OUTPUT', `output ${file} of plugin ${plugin} ${message}`, {
    location: { plugin, file, ...(field ? { field } : {}) },
  });
}

async function isParquet(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) return false;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    await fh.read(tail, 0, 4, size - 4);
    return head.toString('latin1') === 'PAR1' && tail.toString('latin1') === 'PAR1';
  } finally {
    await fh.close();
  }
}

/** The leaves directly under the root; a nested group is refused by name. */
function topLevelLeaves(md: FileMetaData): SchemaElement[] {
  const out: SchemaElement[] = [];
  let i = 1;
  const skip = (count: number) => {
    for (let n = 0; n < count; n++) {
      const el = md.schema[i++] as SchemaElement;
      if (el.num_children) skip(el.num_children);
    }
  };
  for (let n = 0; n < (md.schema[0]?.num_children ?? 0); n++) {
    const el = md.schema[i++] as SchemaElement;
    out.push(el);
    if (el.num_children) skip(el.num_children);
  }
  return out;
}

/**
 * Check one output against `expected` (the contract's Arrow schema; `auto` names the timestamp
 * columns whose zone the data decides) and the Iceberg types of an existing table's columns.
 */
export async function checkOutput(
  plugin: string,
  out: OutputRef,
  expected: Schema,
  auto: ReadonlySet<string>,
  tableTypes: ReadonlyMap<string, string>,
): Promise<CheckedOutput> {
  if (!(await isParquet(out.path)))
    throw badOutput(plugin, out.name, 'is not a Parquet file; an Iceberg target takes Parquet outputs only');
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(await readFooter(out.path));
  } catch (e) {
    throw badOutput(plugin, out.name, `has an unreadable Parquet footer: ${(e as Error).message}`);
  }
  const leaves = new Map(topLevelLeaves(metadata).map((el) => [el.name, el]));
  for (const name of leaves.keys()) {
    if (!expected.fields.some((f) => f.name === name))
      throw badOutput(plugin, out.name, `has column ${name}, which the contract does not list`, name);
  }
  const checked: CheckedOutput = { ...out, metadata, utc: new Map() };
  for (const f of expected.fields)
    checkColumn(plugin, out.name, f, leaves.get(f.name), auto, tableTypes, checked);
  return checked;
}

function checkColumn(
  plugin: string,
  file: string,
  f: Field,
  el: SchemaElement | undefined,
  auto: ReadonlySet<string>,
  tableTypes: ReadonlyMap<string, string>,
  checked: CheckedOutput,
): void {
  const wanted = icebergTypeOfArrow(f.type) as string;
  if (!el) throw badOutput(plugin, file, `has no column ${f.name} (expected ${wanted})`, f.name);
  const leaf = el.num_children ? { found: 'group (struct)' } : icebergTypeOfLeaf(el);
  const isAuto = auto.has(f.name);
  if (!leaf.type || !accepts(wanted, leaf.type, isAuto))
    throw badOutput(plugin, file, `column ${f.name}: expected ${wanted}, found ${leaf.found}`, f.name);
  const inTable = tableTypes.get(f.name);
  if (inTable && !accepts(inTable, leaf.type, isAuto || inTable.startsWith('timestamp')))
    throw badOutput(plugin, file, `column ${f.name}: the table has ${inTable}, found ${leaf.found}`, f.name);
  if (leaf.type.startsWith('timestamp')) checked.utc.set(f.name, leaf.type === 'timestamptz');
}
