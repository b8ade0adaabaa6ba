/**
 * Singer catalogs: the tap's `--discover` output (or a catalog file the job names), with the job's
 * streams marked selected the two ways taps look for it: `metadata` with breadcrumb [] (current
 * spec) and a top-level `selected` (older taps). Field-level metadata entries are selected too,
 * since some taps emit only the fields selected individually.
 */
import { DativoError } from '../../errors.js';

export interface CatalogStream {
  tap_stream_id: string;
  stream?: string;
  schema?: Record<string, unknown>;
  key_properties?: string[];
  replication_key?: string;
  metadata?: { breadcrumb: unknown[]; metadata: Record<string, unknown> }[];
  [k: string]: unknown;
}

export interface Catalog {
  streams: CatalogStream[];
}

export function parseCatalog(text: string, label: string): Catalog {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DativoError('SOURCE_PROTOCOL', `${label}: the catalog is not JSON (${(err as Error).message})`);
  }
  const streams = (v as { streams?: unknown })?.streams;
  if (!Array.isArray(streams))
    throw new DativoError('SOURCE_PROTOCOL', `${label}: the catalog has no "streams" list`);
  for (const [i, s] of streams.entries()) {
    const id = (s as CatalogStream)?.tap_stream_id ?? (s as CatalogStream)?.stream;
    if (typeof id !== 'string')
      throw new DativoError('SOURCE_PROTOCOL', `${label}: catalog stream ${i} has no tap_stream_id`);
    (s as CatalogStream).tap_stream_id = id;
  }
  return { streams: streams as CatalogStream[] };
}

export function streamNames(catalog: Catalog): string[] {
  return catalog.streams.map((s) => s.tap_stream_id);
}

/** Which streams to read: the requested ones (all must exist), or the only one there is. */
export function chooseStreams(catalog: Catalog, requested: readonly string[], label: string): string[] {
  const names = streamNames(catalog);
  if (requested.length === 0) {
    if (names.length === 1) return names;
    throw new DativoError(
      'CONFIG_INVALID',
      `${label}: the tap offers ${names.length} streams (${names.join(', ')}); name the one(s) to read in source.objects or engine.options.singer.streams`,
      { location: { keyPath: 'source.objects' } },
    );
  }
  const missing = requested.filter((r) => !names.includes(r));
  if (missing.length > 0)
    throw new DativoError(
      'CONFIG_INVALID',
      `${label}: stream(s) ${missing.join(', ')} not in the tap's catalog (it has ${names.join(', ')})`,
      { location: { keyPath: 'source.objects' } },
    );
  return [...requested];
}

/** A copy of the catalog with exactly `selected` marked selected. */
export function selectStreams(catalog: Catalog, selected: readonly string[]): Catalog {
  const want = new Set(selected);
  return {
    streams: catalog.streams.map((s) => {
      const on = want.has(s.tap_stream_id);
      const metadata = (s.metadata ?? []).map((m) => ({ ...m, metadata: { ...m.metadata } }));
      let top = metadata.find((m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0);
      if (!top) {
        top = { breadcrumb: [], metadata: {} };
        metadata.unshift(top);
      }
      top.metadata.selected = on;
      if (on && s.replication_key && top.metadata['replication-method'] === undefined)
        top.metadata['replication-method'] = 'INCREMENTAL';
      if (on && s.replication_key && top.metadata['replication-key'] === undefined)
        top.metadata['replication-key'] = s.replication_key;
      if (on)
        for (const m of metadata)
          if (m !== top && m.metadata.inclusion !== 'unsupported') m.metadata.selected = true;
      return { ...s, selected: on, metadata };
    }),
  };
}
