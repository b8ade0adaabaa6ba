/**
 * A Source over a paginated JSON API: one or more objects read in turn, records flattened to the
 * contract's columns as text (the contract layer types them), an (cursor, ids) position per object
 * committed with the data (cursor.ts). Stripe and HubSpot supply the API-specific parts.
 */
import type { ResolvedSource } from '../../config/types.js';
import type { ContractField } from '../../contract/model.js';
import { DativoError } from '../../errors.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../source.js';
import { ApiCursor, type ApiPosition, apiStateKey, readApiPosition } from './cursor.js';
import { type ApiClient, createApiClient } from './http.js';
import { type JsonRecord, recordsToTextBatch } from './text-batch.js';

/** Where an incremental read starts: a committed position or a lookback/start date. */
export interface ReadWindow {
  /** Inclusive lower bound, in the cursor's order units. */
  order: number;
  value: string | number;
}

export interface ApiReader {
  readonly name: string;
  /** Pages of raw records of `object`, ordered or not, from `since` (inclusive) on. */
  pages(object: string, since: ReadWindow | undefined, signal: AbortSignal): AsyncIterable<JsonRecord[]>;
  /** The API's cursor value of a raw record, as stored and as a number. */
  cursorOf(record: JsonRecord, cursorField: string): { order: number; value: string | number } | undefined;
  /** The API's value for an epoch-milliseconds instant (lookback and start dates). */
  valueAt(epochMs: number): ReadWindow;
  toOrder(value: string | number): number | undefined;
  idOf(record: JsonRecord): string;
  /** A raw record as a row keyed by contract column names. */
  flatten(record: JsonRecord): JsonRecord;
  /** One cheap request that proves the API answers and the key works; throws otherwise. */
  probe(): Promise<void>;
  /** Objects this connector knows, for discover. */
  readonly knownObjects: readonly string[];
}

export interface ApiSourceOptions {
  columns: readonly string[];
  /** Default object when the job names none (the contract's `object`). */
  defaultObject?: string;
  batchSize?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;

export function createApiSource(source: ResolvedSource, reader: ApiReader, opts: ApiSourceOptions): Source {
  const objects = source.objects.length > 0 ? source.objects : opts.defaultObject ? [opts.defaultObject] : [];
  const inc = source.incremental;
  const cursorField = inc?.cursorField ?? undefined;
  const now = opts.now ?? Date.now;
  let ctx: SourceOpenContext | undefined;
  let previous: SourceState = {};
  const cursors = new Map<string, ApiCursor>();

  function windowOf(start: ApiPosition | undefined): ReadWindow | undefined {
    if (start) return { order: start.order, value: start.value };
    if (!cursorField) return undefined;
    if (inc && inc.lookbackDays > 0) return reader.valueAt(now() - inc.lookbackDays * DAY_MS);
    const startDate = source.config.start_date;
    if (typeof startDate === 'string' && !Number.isNaN(Date.parse(startDate)))
      return reader.valueAt(Date.parse(startDate));
    return undefined;
  }

  async function* readObject(object: string, c: SourceOpenContext): AsyncGenerator<SourceBatch> {
    const start = cursorField
      ? readApiPosition(previous, apiStateKey(object, cursorField), (v) => reader.toOrder(v))
      : undefined;
    const cursor = new ApiCursor(start);
    cursors.set(object, cursor);
    const size = opts.batchSize ?? c.batchSize;
    let rows: JsonRecord[] = [];
    const emit = (n: number): SourceBatch => {
      const batch = recordsToTextBatch(rows.slice(0, n), opts.columns);
      rows = rows.slice(n);
      return { batch, origin: { stream: object } };
    };
    for await (const page of reader.pages(object, windowOf(start), c.signal)) {
      for (const record of page) {
        const at = cursorField ? reader.cursorOf(record, cursorField) : undefined;
        if (!cursor.take(at?.order, at?.value, reader.idOf(record))) continue;
        rows.push(reader.flatten(record));
      }
      while (rows.length >= size) yield emit(size);
    }
    if (rows.length > 0) yield emit(rows.length);
  }

  return {
    kind: reader.name,
    async open(c) {
      ctx = c;
      previous = c.state;
    },
    async *read() {
      const c = ctx;
      if (!c) throw new Error(`${reader.name} source read before open`);
      for (const object of objects) yield* readObject(object, c);
    },
    checkpoint() {
      const next: SourceState = { ...previous };
      if (!cursorField) return next;
      for (const [object, cursor] of cursors) {
        const entry = cursor.entry();
        if (entry) next[apiStateKey(object, cursorField)] = entry;
      }
      return next;
    },
    async check(): Promise<CheckResult> {
      try {
        await reader.probe();
        return { status: 'success', message: `${reader.name}: the API answers and accepts the key` };
      } catch (err) {
        const e = err instanceof DativoError ? err : new DativoError('CONNECTION_FAILED', String(err));
        return { status: 'failed', message: e.message, errorCode: e.code, retryable: e.retryable };
      }
    },
    async discover(): Promise<DiscoverResult> {
      return {
        objects: reader.knownObjects.map((name) => ({ name, type: 'api_object' })),
        metadata: { connector: reader.name },
      };
    },
    async close() {},
  };
}

/** Test seams: a fake's fetch, a clock, no real sleeping. */
export interface ApiSourceDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  batchSize?: number;
}

/** What a native API connector (Stripe, HubSpot) supplies; the rest is shared. */
export interface ApiConnector {
  name: string;
  defaultBaseUrl: string;
  /** The bearer token from the resolved credentials; throws AUTHENTICATION_FAILED when there is none. */
  token(source: ResolvedSource): string;
  /** The API's own error text from an error body. */
  errorText(body: unknown): string | undefined;
  reader(client: ApiClient, fields: readonly ContractField[]): ApiReader;
}

/**
 * The first credential present among `keys` (the recipe's `api_key`, then the secret names users
 * give it); AUTHENTICATION_FAILED naming where to put one otherwise.
 */
export function credentialOf(source: ResolvedSource, keys: readonly string[], missing: string): string {
  for (const k of keys) {
    const v = source.credentials[k];
    if (v) return v;
  }
  throw new DativoError('AUTHENTICATION_FAILED', missing, { location: { keyPath: 'source.credentials' } });
}

export function createConnectorSource(
  source: ResolvedSource,
  fields: readonly ContractField[],
  contractObject: string | undefined,
  connector: ApiConnector,
  deps: ApiSourceDeps = {},
): Source {
  const client = createApiClient(source, {
    name: connector.name,
    defaultBaseUrl: connector.defaultBaseUrl,
    headers: { authorization: `Bearer ${connector.token(source)}` },
    errorText: connector.errorText,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return createApiSource(source, connector.reader(client, fields), {
    columns: fields.map((f) => f.name),
    ...(contractObject ? { defaultObject: contractObject } : {}),
    ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
