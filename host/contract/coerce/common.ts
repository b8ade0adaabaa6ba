/**
 * The loop every coercer shares: walk the cells, report missing required values, let the type's
 * parser write the value, apply the text constraints, and build the validity bitmap. A cell with
 * any issue becomes null in the output (in strict mode the batch is not committed anyway).
 */
import type { ContractField } from '../model.js';
import type { IssueRule } from '../report.js';
import type { TextColumn } from '../text-column.js';

export interface CoerceContext {
  field: ContractField;
  checks: CompiledChecks;
  /** Records a problem with cell i; the cell is null in the output. */
  report(i: number, rule: IssueRule, message: string): void;
}

export interface CompiledChecks {
  maxLength?: number;
  pattern?: RegExp;
  /** validValues compared as text (string, json, date, timestamp columns). */
  textValues?: Set<string>;
  /** validValues compared as numbers (int64, float64, decimal columns). */
  numberValues?: Set<number>;
  /** validValues for bool columns. */
  boolValues?: Set<boolean>;
  minimum?: number;
  maximum?: number;
  /** True when maxLength, pattern or textValues is set. */
  hasText: boolean;
  /** True when minimum, maximum or numberValues is set. */
  hasNumber: boolean;
}

export function compileChecks(field: ContractField): CompiledChecks {
  const c = field.constraints;
  const kind = field.type.kind;
  const numeric = kind === 'int64' || kind === 'float64' || kind === 'decimal';
  const out: CompiledChecks = { hasText: false, hasNumber: false };
  if (c.maxLength !== undefined) out.maxLength = c.maxLength;
  // JSON Schema / ODCS `pattern` semantics: an unanchored ECMA-262 search, i.e. RegExp#test.
  if (c.pattern !== undefined) out.pattern = new RegExp(c.pattern);
  if (c.validValues !== undefined) {
    if (numeric) out.numberValues = new Set(c.validValues.map((v) => Number(v)));
    else if (kind === 'bool')
      out.boolValues = new Set(
        c.validValues.map((v) => v === true || /^(true|1|yes|on|t|y)$/i.test(String(v))),
      );
    else out.textValues = new Set(c.validValues.map((v) => String(v)));
  }
  if (numeric && c.minimum !== undefined) out.minimum = c.minimum;
  if (numeric && c.maximum !== undefined) out.maximum = c.maximum;
  out.hasText = out.maxLength !== undefined || out.pattern !== undefined || out.textValues !== undefined;
  out.hasNumber = out.minimum !== undefined || out.maximum !== undefined || out.numberValues !== undefined;
  return out;
}

/**
 * Writes value i from bytes [s, e) and returns true, or reports the problem and returns false.
 */
export type CellParser = (bytes: Uint8Array, s: number, e: number, i: number) => boolean;

export interface CellPass {
  validity: Uint8Array;
  nullCount: number;
}

const decoder = new TextDecoder();

export function eachCell(col: TextColumn, ctx: CoerceContext, parse: CellParser): CellPass {
  const n = col.length;
  const validity = new Uint8Array((n + 7) >> 3);
  const { offsets, bytes, validityOffset } = col;
  const nulls = col.validity;
  const required = ctx.field.required;
  const textChecks = ctx.checks.hasText ? ctx.checks : undefined;
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const k = validityOffset + i;
    if (nulls !== null && ((nulls[k >> 3] as number) & (1 << (k & 7))) === 0) {
      nullCount++;
      if (required) ctx.report(i, 'missing_required', 'required value is missing');
      continue;
    }
    const s = offsets[i] as number;
    const e = offsets[i + 1] as number;
    if (!parse(bytes, s, e, i) || (textChecks !== undefined && !checkText(bytes, s, e, i, textChecks, ctx))) {
      nullCount++;
      continue;
    }
    validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
  }
  return { validity, nullCount };
}

/**
 * `eachCell` for columns whose values need no look (strings without text constraints): the
 * validity bitmap is taken over byte by byte, and only bytes with a null in them are visited to
 * report missing required values.
 */
export function passNullsOnly(col: TextColumn, ctx: CoerceContext): CellPass {
  const n = col.length;
  const nBytes = (n + 7) >> 3;
  const validity = new Uint8Array(nBytes);
  const nulls = col.validity;
  if (nulls === null) validity.fill(0xff);
  else if (col.validityOffset % 8 !== 0) return eachCell(col, ctx, () => true);
  else validity.set(nulls.subarray(col.validityOffset >> 3, (col.validityOffset >> 3) + nBytes));
  // Bits past the last row are not rows: clear them so they are neither counted nor reported.
  if (n % 8 !== 0) validity[nBytes - 1] = (validity[nBytes - 1] as number) & ((1 << (n % 8)) - 1);
  if (nulls === null) return { validity, nullCount: 0 };
  let nullCount = 0;
  for (let byte = 0; byte < nBytes; byte++) {
    const v = validity[byte] as number;
    if (v === 0xff) continue;
    const bits = byte === nBytes - 1 && n % 8 !== 0 ? n % 8 : 8;
    for (let bit = 0; bit < bits; bit++) {
      if ((v & (1 << bit)) !== 0) continue;
      nullCount++;
      if (ctx.field.required) ctx.report(byte * 8 + bit, 'missing_required', 'required value is missing');
    }
  }
  return { validity, nullCount };
}

/** maxLength counts characters (code points), not bytes or UTF-16 units. */
function checkText(
  b: Uint8Array,
  s: number,
  e: number,
  i: number,
  c: CompiledChecks,
  ctx: CoerceContext,
): boolean {
  if (c.maxLength !== undefined && e - s > c.maxLength) {
    let chars = 0;
    for (let p = s; p < e; p++) if (((b[p] as number) & 0xc0) !== 0x80) chars++;
    if (chars > c.maxLength) {
      ctx.report(i, 'max_length', `longer than ${c.maxLength} characters (${chars})`);
      return false;
    }
  }
  if (c.pattern === undefined && c.textValues === undefined) return true;
  const text = decoder.decode(b.subarray(s, e));
  if (c.pattern !== undefined && !c.pattern.test(text)) {
    ctx.report(i, 'pattern', `does not match pattern ${c.pattern.source}`);
    return false;
  }
  if (c.textValues !== undefined && !c.textValues.has(text)) {
    ctx.report(i, 'valid_values', `not one of the valid values (${c.textValues.size} allowed)`);
    return false;
  }
  return true;
}

/** minimum/maximum/validValues on a numeric value. */
export function checkNumber(v: number, i: number, c: CompiledChecks, ctx: CoerceContext): boolean {
  if (c.minimum !== undefined && v < c.minimum) {
    ctx.report(i, 'minimum', `less than the minimum ${c.minimum}`);
    return false;
  }
  if (c.maximum !== undefined && v > c.maximum) {
    ctx.report(i, 'maximum', `greater than the maximum ${c.maximum}`);
    return false;
  }
  if (c.numberValues !== undefined && !c.numberValues.has(v)) {
    ctx.report(i, 'valid_values', `not one of the valid values (${c.numberValues.size} allowed)`);
    return false;
  }
  return true;
}

export function expected(field: ContractField): string {
  return `not a valid ${field.typeName}`;
}
