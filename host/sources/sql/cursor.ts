/**
 * Incremental reads without duplicates or gaps. The position is (cursor value, key values) of the
 * last row read; the next run reads rows strictly after it in (cursor, key) order:
 *
 *   WHERE (cursor, k1, ...) > (:last_value, :last_pk...) ORDER BY cursor, k1, ...
 *
 * so a row sharing the boundary cursor value with a larger key is read once, and the boundary row
 * itself is not read again (the original's `cursor >= last` repeated it every run).
 *
 * State (spec §9, the original's key): `{object}.{cursor_field}` → {last_value, last_pk, updated_at}.
 * `last_pk` is a scalar for a one-column key, a list for a composite key. The source never writes it:
 * `checkpoint()` hands it to the pipeline, which commits it in the same record as the data.
 *
 * Edge rules:
 * - No state and `lookback_days` > 0: `cursor >= now() - N days` (the original's rule). No state
 *   and no lookback: everything.
 * - State written by the original (no `last_pk`): `cursor >= last_value` once, which may repeat the
 *   boundary rows one time but never loses any; the new state then carries the key.
 * - No key at all (a query without `primary_key`, a table without primary or unique key): strictly
 *   `cursor > last_value`. Rows inserted later with exactly the last value are missed; the source
 *   warns at open.
 * - Rows whose cursor is NULL are read by a full first run only: they sort outside any position.
 *   The position is the last row with a non-NULL cursor. A full read that meets only NULL cursors
 *   has no position; its entry then says so (`last_value: null, full_read: true`) and the next
 *   runs read `cursor IS NOT NULL`, so those rows are not read again (docs/migrating.md).
 * - Timestamps are kept to the microsecond in the position (ISO text, `Z` for zoned columns).
 *
 * A row updated while a run reads gets a new cursor value; the run's query sees one snapshot, so the
 * new version is read by the next run (its cursor value is above the stored position). The one case
 * no cursor can see is a writer whose transaction sets the cursor to a time before our position and
 * commits after our snapshot (`updated_at = now()` in a long transaction); `lookback_days` on a
 * fresh state, or a trigger with `clock_timestamp()`, is the remedy.
 */
import type { SourceState } from '../source.js';
import type { PositionValue, SqlKind } from './columns.js';

export interface Position {
  value: PositionValue;
  /** Key values, in key order; empty when the table has no key. */
  pk: PositionValue[];
}

export interface CursorPlan {
  stateKey: string;
  cursor: string;
  cursorKind: SqlKind;
  pk: string[];
  pkKinds: SqlKind[];
  /** Where the previous run stopped; undefined on a first run. */
  start?: { value: PositionValue; pk?: PositionValue[] };
  /** A previous full read found only NULL cursors: read the rows with a cursor, all of them. */
  afterNulls?: true;
  lookbackDays: number;
}

/** What a SQL dialect must say for the cursor predicate. */
export interface Dialect {
  ident(name: string): string;
  literal(value: PositionValue, kind: SqlKind): string;
  /** `expr >= now() - N days` in the dialect. */
  sinceDaysAgo(expr: string, days: number): string;
  /** Whether `(a, b) > (x, y)` is usable (Postgres); otherwise it is expanded. */
  rowValues: boolean;
}

export function stateKey(object: string, cursorField: string): string {
  return `${object}.${cursorField}`;
}

function isPositionValue(v: unknown): v is PositionValue {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The stored start position, or undefined when there is none usable. */
export function readStart(state: SourceState, key: string, pkCount: number): CursorPlan['start'] {
  const entry = state[key];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (!isPositionValue(e.last_value) || e.last_value === null) return undefined;
  const raw = e.last_pk;
  let pk: PositionValue[] | undefined;
  if (Array.isArray(raw) && raw.every(isPositionValue)) pk = raw as PositionValue[];
  else if (raw !== undefined && raw !== null && isPositionValue(raw)) pk = [raw];
  if (pk && pk.length !== pkCount) pk = undefined; // the key changed: fall back to the inclusive rule
  return pk ? { value: e.last_value, pk } : { value: e.last_value };
}

/** True when the stored entry records a full read that met only NULL cursors. */
export function fullReadWithoutPosition(state: SourceState, key: string): boolean {
  const entry = state[key];
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  return e.last_value === null && e.full_read === true;
}

/** The entry after a full read that met only NULL cursors (there is no position to store). */
export function fullReadEntry(now: Date = new Date()): Record<string, unknown> {
  return { last_value: null, last_pk: null, full_read: true, updated_at: now.toISOString() };
}

export function stateEntry(pos: Position, now: Date = new Date()): Record<string, unknown> {
  return {
    last_value: pos.value,
    last_pk: pos.pk.length === 1 ? pos.pk[0] : pos.pk.length === 0 ? null : pos.pk,
    updated_at: now.toISOString(),
  };
}

/** Lexicographic `>` over columns, as OR/AND for dialects without row values. */
function expandedGreater(cols: string[], vals: string[]): string {
  const [c, ...restC] = cols;
  const [v, ...restV] = vals;
  if (c === undefined || v === undefined) return 'FALSE';
  if (restC.length === 0) return `${c} > ${v}`;
  return `(${c} > ${v} OR (${c} = ${v} AND ${expandedGreater(restC, restV)}))`;
}

/** The WHERE predicate (without `WHERE`), or undefined for a full read. */
export function cursorPredicate(plan: CursorPlan, d: Dialect): string | undefined {
  const cursor = d.ident(plan.cursor);
  const start = plan.start;
  if (!start) {
    if (plan.afterNulls) return `${cursor} IS NOT NULL`;
    return plan.lookbackDays > 0 ? d.sinceDaysAgo(cursor, plan.lookbackDays) : undefined;
  }
  const v = d.literal(start.value, plan.cursorKind);
  if (plan.pk.length === 0) return `${cursor} > ${v}`;
  if (!start.pk) return `${cursor} >= ${v}`;
  const cols = [cursor, ...plan.pk.map((k) => d.ident(k))];
  const vals = [v, ...start.pk.map((p, i) => d.literal(p, plan.pkKinds[i] ?? { kind: 'utf8' }))];
  return d.rowValues ? `(${cols.join(', ')}) > (${vals.join(', ')})` : expandedGreater(cols, vals);
}

export function cursorOrder(plan: CursorPlan, d: Dialect): string {
  return [plan.cursor, ...plan.pk].map((c) => d.ident(c)).join(', ');
}

export interface PlanInputs {
  object: string;
  cursorField: string;
  /** Column name → kind of the row source. */
  kinds: Map<string, SqlKind>;
  key: string[];
  state: SourceState;
  lookbackDays: number;
  /** Key path of the cursor setting, for errors. */
  keyPath: string;
  /** See TableSpec.cursorExplicit: when false, a missing cursor column means a full read. */
  explicit: boolean;
}

/**
 * The cursor plan of one table, checking that the cursor and key columns exist; undefined (a full
 * read) when a defaulted cursor column does not exist.
 */
export function planCursor(
  inp: PlanInputs,
  fail: (keyPath: string, message: string) => Error,
): CursorPlan | undefined {
  const find = (name: string): [string, SqlKind] | undefined => {
    const exact = inp.kinds.get(name);
    if (exact) return [name, exact];
    for (const [n, k] of inp.kinds) if (n.toLowerCase() === name.toLowerCase()) return [n, k];
    return undefined;
  };
  const cursor = find(inp.cursorField);
  if (!cursor && !inp.explicit) return undefined;
  if (!cursor) {
    throw fail(
      inp.keyPath,
      `cursor_field ${inp.cursorField} is not a column of ${inp.object} (columns: ${[...inp.kinds.keys()].join(', ')})`,
    );
  }
  const pk: string[] = [];
  const pkKinds: SqlKind[] = [];
  for (const k of inp.key) {
    const c = find(k);
    if (!c) throw fail(inp.keyPath, `key column ${k} is not a column of ${inp.object}`);
    if (c[0] === cursor[0]) continue;
    pk.push(c[0]);
    pkKinds.push(c[1]);
  }
  const key = stateKey(inp.object, inp.cursorField);
  const plan: CursorPlan = {
    stateKey: key,
    cursor: cursor[0],
    cursorKind: cursor[1],
    pk,
    pkKinds,
    lookbackDays: inp.lookbackDays,
  };
  const start = readStart(inp.state, key, pk.length);
  if (start) plan.start = start;
  else if (fullReadWithoutPosition(inp.state, key)) plan.afterNulls = true;
  return plan;
}
