/**
 * Contract validation and coercion on Arrow batches: source columns (text or typed) in, the
 * contract's typed columns out (ARCHITECTURE §4), with issues, reject lines and a run summary.
 *
 * Decisions worth knowing:
 * - The output schema is fixed by the first batch (or by the first call to `schema()`), and never
 *   changes during the run. A timestamp column with `utc: 'auto'` becomes UTC-adjusted when the
 *   first value that parses in that first batch has `Z` or an offset; naive otherwise (also when
 *   the first batch has no value for it).
 * - Warn mode passes input columns the contract does not name through as utf8, after the contract
 *   columns, in their order of first appearance. A later batch lacking one gets nulls; a column
 *   that first appears after the schema was fixed is ignored with one warning
 *   (`contract_extra_column_ignored`), because the Parquet file's schema cannot change mid-run.
 *   Strict mode drops such columns.
 * - A cell with any issue is null in the output, in both modes. Strict-mode batches with issues
 *   are returned anyway; the pipeline fails the run and commits nothing.
 * - Sensitive values (isSensitiveClassification) are `***` in issues and rejects. The raw text of
 *   a ragged row is masked entirely when the contract has any sensitive field, since it cannot be
 *   split into fields reliably.
 * - `issues` of a batch and `firstIssues` of the run hold at most `maxDetailedIssues` entries;
 *   the counts stay exact. Rejects hold one line per invalid row.
 */
import { type Data, type Field, makeData, RecordBatch, type Schema, Struct } from 'apache-arrow';
import { DativoError } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import type { SourceBatch } from './batch.js';
import { type CompiledChecks, coerceColumn, compileChecks, firstValueZoned } from './coerce/index.js';
import { reusable, reuseTyped, typedZoned } from './coerce/typed.js';
import { type ColumnMapping, mapColumns } from './columns.js';
import { type Contract, isSensitiveClassification } from './model.js';
import {
  createIssueLog,
  type IssueRule,
  MASK,
  type RejectLine,
  type RejectReason,
  type ValidationIssue,
  type ValidationSummary,
} from './report.js';
import { outputSchema } from './schema.js';
import { cellText, nullTextColumn, type TextColumn, textToUtf8, toTextColumn } from './text-column.js';

export type {
  ColumnMismatch,
  IssueCount,
  IssueRule,
  RejectLine,
  RejectReason,
  ValidationIssue,
  ValidationSummary,
} from './report.js';

export type ValidationMode = 'strict' | 'warn';

export interface ValidatorOptions {
  logger?: Logger;
  /** Issues kept in full, per batch and per run (default 100). */
  maxDetailedIssues?: number;
}

export interface ValidatedBatch {
  /** Typed columns, in the order of `schema()`. */
  batch: RecordBatch;
  /** Rows of this batch with at least one issue, plus rows the source could not parse. */
  invalidRows: number;
  issues: ValidationIssue[];
  rejects: RejectLine[];
}

export interface Validator {
  validate(input: SourceBatch): ValidatedBatch;
  summary(): ValidationSummary;
  /** The output schema, the same for the whole run. */
  schema(): Schema;
}

interface FixedShape {
  schema: Schema;
  utc: boolean[];
  extras: string[];
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createValidator(
  contract: Contract,
  mode: ValidationMode,
  opts: ValidatorOptions = {},
): Validator {
  const fields = contract.fields;
  const names = fields.map((f) => f.name);
  const sensitive = fields.map((f) => isSensitiveClassification(f.classification));
  const anySensitive = sensitive.includes(true);
  const checks = fields.map((f) => checksFor(contract, f));
  const maxDetail = opts.maxDetailedIssues ?? 100;
  const logger = opts.logger ?? silentLogger();
  const log = createIssueLog(maxDetail);
  const missingSeen = new Set<string>();
  const unexpectedSeen = new Set<string>();
  const ignoredExtras = new Set<string>();
  let mismatchWarned = false;
  let fixed: FixedShape | undefined;
  let rowsIn = 0;
  let rowsWithIssues = 0;
  let lastKey = '';
  let lastMapping: ColumnMapping | undefined;

  /** `zonedOf(i)`: whether field i's first value carries a zone (undefined: unknown). */
  function fix(zonedOf: (i: number) => boolean | undefined, extras: string[]): FixedShape {
    const utc = fields.map((f, i) => {
      if (f.type.kind !== 'timestamp') return false;
      if (f.type.utc !== 'auto') return f.type.utc;
      return zonedOf(i) ?? false;
    });
    const kept = mode === 'warn' ? extras : [];
    logger.debug(
      { event: 'contract_schema_fixed', contract: contract.name, extras: kept },
      'output schema fixed',
    );
    return { schema: outputSchema(fields, utc, kept, mode), utc, extras: kept };
  }

  function mappingFor(inputNames: string[]): ColumnMapping {
    const key = inputNames.join('\u0000');
    if (key !== lastKey || !lastMapping) {
      lastKey = key;
      lastMapping = mapColumns(names, inputNames);
    }
    return lastMapping;
  }

  function noteMismatch(m: ColumnMapping, file: string | undefined): void {
    if (m.missing.length === 0 && m.unexpected.length === 0) return;
    for (const n of m.missing) missingSeen.add(n);
    for (const u of m.unexpected) unexpectedSeen.add(u.name);
    if (mismatchWarned) return;
    mismatchWarned = true;
    const unexpected = m.unexpected.map((u) => u.name);
    logger.warn(
      { event: 'contract_column_mismatch', contract: contract.name, file, missing: m.missing, unexpected },
      `input columns do not match contract '${contract.name}': ${m.missing.length} contract column(s) missing ` +
        `[${m.missing.join(', ')}], ${unexpected.length} unexpected [${unexpected.join(', ')}]` +
        (m.missing.length > 0 ? '; missing columns are null in every row' : ''),
    );
  }

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
  function validate(input: SourceBatch): ValidatedBatch {
    const batch = input.batch;
    const n = batch.numRows;
    const inputNames = batch.schema.fields.map((f) => f.name);
    const mapping = mappingFor(inputNames);
    noteMismatch(mapping, input.origin.file);
    const children = batch.data.children;
    const inputs = fields.map((_, f) => {
      const idx = mapping.fieldIndex[f] as number;
      return idx >= 0 ? (children[idx] as Data) : undefined;
    });
    // Text views are made on demand: typed columns that are reused never need one.
    const texts: (TextColumn | undefined)[] = [];
    const text = (f: number): TextColumn => {
      let col = texts[f];
      if (!col) {
        const data = inputs[f];
        col = data ? toTextColumn(data) : nullTextColumn(n);
        texts[f] = col;
      }
      return col;
    };
    if (!fixed) {
      const zonedOf = (f: number) => {
        const data = inputs[f];
        return data ? (typedZoned(data) ?? firstValueZoned(text(f))) : undefined;
      };
      fixed = fix(
        zonedOf,
        mapping.unexpected.map((u) => u.name),
      );
    }
    const shape = fixed;

    const file = input.origin.file;
    const lines = input.lines;
    const issues: ValidationIssue[] = [];
    const rowBad = new Uint8Array(n);
    const reasons = new Map<number, RejectReason[]>();
    let invalidRows = 0;

    const out: Data[] = fields.map((field, f) => {
      const report = (i: number, rule: IssueRule, message: string): void => {
        log.count(field.name, rule);
        if (rowBad[i] === 0) {
          rowBad[i] = 1;
          invalidRows++;
          reasons.set(i, []);
        }
        reasons.get(i)?.push({ field: field.name, rule, message });
        if (issues.length >= maxDetail && !log.wantsDetail()) return;
        const issue: ValidationIssue = { field: field.name, rule, message };
        const line = lines?.[i];
        if (line !== undefined) issue.line = line;
        if (file !== undefined) issue.file = file;
        if (rule !== 'missing_required') {
          const value = cellText(text(f), i);
          if (value !== null) issue.value = sensitive[f] ? MASK : value;
        }
        if (issues.length < maxDetail) issues.push(issue);
        log.keep(issue);
      };
      const fieldChecks = checks[f] as CompiledChecks;
      const ctx = { field, checks: fieldChecks, report };
      const data = inputs[f];
      if (data && reusable(data, field.type, fieldChecks.hasText || fieldChecks.hasNumber)) {
        return reuseTyped(data, (shape.schema.fields[f] as Field).type, ctx);
      }
      return coerceColumn(field.type, text(f), ctx, shape.utc[f] ?? false);
    });

    const extraCols = passThrough(shape.extras, mapping, children, n);
    out.push(...extraCols.map((c) => textToUtf8(c)));
    warnIgnoredExtras(mapping, shape.extras, input.origin.file);

    const rejects: RejectLine[] = [];
    // In row order, whichever column found the problem first.
    for (let i = 0; i < n; i++) {
      const why = rowBad[i] === 1 ? reasons.get(i) : undefined;
      if (why === undefined) continue;
      const values: Record<string, string | null> = {};
      fields.forEach((field, f) => {
        const value = cellText(text(f), i);
        values[field.name] = value !== null && sensitive[f] ? MASK : value;
      });
      shape.extras.forEach((name, x) => {
        values[name] = cellText(extraCols[x] as TextColumn, i);
      });
      rejects.push(withPosition<RejectLine>({ reasons: why, values }, lines?.[i], file));
    }

    for (const err of input.rowErrors ?? []) {
      const rule = err.rule || 'ragged';
      const errFile = err.file ?? file;
      log.count('_row', rule);
      const issue = withPosition<ValidationIssue>(
        { field: '_row', rule, message: err.message },
        err.line,
        errFile,
      );
      if (issues.length < maxDetail) issues.push(issue);
      log.keep(issue);
      const raw = err.raw === undefined ? null : anySensitive ? MASK : err.raw;
      rejects.push(
        withPosition<RejectLine>(
          { reasons: [{ field: '_row', rule, message: err.message }], values: { _raw: raw } },
          err.line,
          errFile,
        ),
      );
      invalidRows++;
    }

    rowsIn += n + (input.rowErrors?.length ?? 0);
    rowsWithIssues += invalidRows;
    const struct = makeData({
      type: new Struct(shape.schema.fields),
      length: n,
      nullCount: 0,
      children: out,
    });
    return { batch: new RecordBatch(shape.schema, struct), invalidRows, issues, rejects };
  }

  function warnIgnoredExtras(mapping: ColumnMapping, extras: string[], file: string | undefined): void {
    if (mode !== 'warn') return;
    for (const { name } of mapping.unexpected) {
      if (extras.includes(name) || ignoredExtras.has(name)) continue;
      ignoredExtras.add(name);
      logger.warn(
        { event: 'contract_extra_column_ignored', contract: contract.name, file, column: name },
        `column '${name}' first appears after the output schema was fixed; it is not written`,
      );
    }
  }

  return {
    validate,
    schema() {
      if (!fixed) fixed = fix(() => undefined, []);
      return fixed.schema;
    },
    summary() {
      const s: ValidationSummary = {
        rowsIn,
        rowsValid: rowsIn - rowsWithIssues,
        rowsWithIssues,
        issuesTotal: log.total(),
        firstIssues: log.first(),
        counts: log.counts(),
      };
      if (missingSeen.size > 0 || unexpectedSeen.size > 0) {
        s.columnMismatch = { missing: [...missingSeen], unexpected: [...unexpectedSeen] };
      }
      return s;
    },
  };
}

/** Extra columns by exact name among the unclaimed ones; absent ones are all null. */
function passThrough(
  extras: string[],
  mapping: ColumnMapping,
  children: readonly Data[],
  n: number,
): TextColumn[] {
  return extras.map((name) => {
    const hit = mapping.unexpected.find((u) => u.name === name);
    return hit ? toTextColumn(children[hit.index] as Data) : nullTextColumn(n);
  });
}

function withPosition<T extends { line?: number; file?: string }>(
  o: T,
  line: number | undefined,
  file: string | undefined,
): T {
  const out = { ...o };
  if (line !== undefined) out.line = line;
  if (file !== undefined) out.file = file;
  return out;
}

function checksFor(contract: Contract, f: Contract['fields'][number]): CompiledChecks {
  if (
    f.type.kind === 'decimal' &&
    (f.type.precision < 1 || f.type.precision > 38 || f.type.scale < 0 || f.type.scale > f.type.precision)
  ) {
    throw new DativoError(
      'CONFIG_INVALID',
      `field '${f.name}': ${f.typeName} does not fit decimal128 (precision 1..38, scale 0..precision)`,
      {
        location: { file: contract.file, field: f.name },
      },
    );
  }
  try {
    return compileChecks(f);
  } catch (e) {
    throw new DativoError(
      'CONFIG_INVALID',
      `field '${f.name}': pattern is not a valid regular expression: ${(e as Error).message}`,
      {
        location: { file: contract.file, field: f.name },
        cause: e,
      },
    );
  }
}
