/**
 * Incremental position of an API object without duplicates or gaps. APIs filter by `>=` on a
 * coarse cursor (Stripe's `created` is in seconds, HubSpot's `lastmodifieddate` in milliseconds),
 * so the position is the highest cursor value read plus the ids read at exactly that value: the
 * next run asks for `>= value` and drops those ids, and a record created in the same second after
 * the run is still read once.
 *
 * The same set drops repeats inside a run, when a reader restarts a query from its last value
 * (HubSpot search stops at 10,000 results per query).
 *
 * State (the original's key `{object}.{cursor_field}`): {last_value, ids_at_last_value, updated_at}.
 * `last_value` keeps the API's own form (epoch seconds for Stripe, ISO text for HubSpot).
 */
import type { SourceState } from '../source.js';

export interface ApiPosition {
  /** The cursor as a number that orders records (epoch ms, epoch seconds...). */
  order: number;
  /** The API's own value, as stored. */
  value: string | number;
  /** Ids of the records read with exactly this cursor value. */
  ids: Set<string>;
}

export function apiStateKey(object: string, cursorField: string): string {
  return `${object}.${cursorField}`;
}

/** The stored position, or undefined on a first run (or a state this source cannot read). */
export function readApiPosition(
  state: SourceState,
  key: string,
  toOrder: (value: string | number) => number | undefined,
): ApiPosition | undefined {
  const entry = state[key];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const value = e.last_value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const order = toOrder(value);
  if (order === undefined) return undefined;
  const ids = Array.isArray(e.ids_at_last_value) ? e.ids_at_last_value.map(String) : [];
  return { order, value, ids: new Set(ids) };
}

/** Tracks the highest position of a run; says which records were already read. */
export class ApiCursor {
  private max: ApiPosition | undefined;

  constructor(private readonly start: ApiPosition | undefined) {
    if (start) this.max = { order: start.order, value: start.value, ids: new Set(start.ids) };
  }

  /**
   * True when the record is new: after the committed position and not read before in this run.
   * Records it when new. A record without a cursor value is always new (it cannot be positioned).
   */
  take(order: number | undefined, value: string | number | undefined, id: string): boolean {
    if (order === undefined || value === undefined) return true;
    if (this.start && order < this.start.order) return false;
    const max = this.max;
    if (!max || order > max.order) {
      this.max = { order, value, ids: new Set([id]) };
      return true;
    }
    if (order === max.order) {
      if (max.ids.has(id)) return false;
      max.ids.add(id);
      return true;
    }
    // Below the run's maximum (a descending API like Stripe): new unless it is at the start.
    return !(this.start && order === this.start.order && this.start.ids.has(id));
  }

  /** The state entry to commit, or undefined when nothing was ever read. */
  entry(now: Date = new Date()): Record<string, unknown> | undefined {
    if (!this.max) return undefined;
    return {
      last_value: this.max.value,
      ids_at_last_value: [...this.max.ids].sort(),
      updated_at: now.toISOString(),
    };
  }
}
