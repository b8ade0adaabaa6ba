/**
 * The filesystem ("hadoop") catalog over an ObjectStore: a table is a folder
 * `<warehouse>/<namespace...>/<name>/` whose `metadata/v<N>.metadata.json` files are its versions.
 * A commit writes v(N+1) with a conditional create, so of two writers that both read vN exactly
 * one makes v(N+1); the other reloads and re-checks its requirements. `version-hint.text` is only
 * a hint (readers such as icebird start from it); the newest existing vN is the truth.
 */
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../sinks/store/object-store.js';
import { PreconditionFailed } from '../sinks/store/object-store.js';
import {
  type Catalog,
  CommitConflictError,
  CommitStateUnknownError,
  type CreateTableRequest,
  InvalidUpdateError,
  type LoadedTable,
  NoSuchTableError,
  type TableIdent,
  type TableRequirement,
  type TableUpdate,
} from './catalog.js';
import {
  completeCreatedMetadata,
  emptyTableMetadata,
  type IcebergSchema,
  newTableMetadata,
  type PartitionSpec,
  parseTableMetadata,
  type SortOrder,
  serializeTableMetadata,
  type TableMetadata,
} from './metadata.js';
import { applyUpdates, checkRequirements } from './updates.js';

export interface FilesystemCatalogOptions {
  store: ObjectStore;
  /** URI of the store's root as readers see it: `s3://bucket/prefix` or `file:///abs/dir`. */
  warehouse: string;
  /** Re-applies after losing a race to a commit our requirements still allow. Default 5. */
  maxInternalRetries?: number;
  now?: () => number;
}

export interface FilesystemCatalog extends Catalog {
  readonly kind: 'filesystem';
  readonly warehouse: string;
  readonly store: ObjectStore;
  /** Store key of a location inside the warehouse (`s3://b/p/db/t/x` → `db/t/x`). */
  keyOf(location: string): string;
  /** Tables directly under a namespace (folders that hold `metadata/v*.metadata.json`). */
  listTables(namespace: string[]): Promise<TableIdent[]>;
}

const VERSION_RE = /^v(\d+)\.metadata\.json$/;
const isVersionKey = (k: string) => VERSION_RE.test(k.slice(k.lastIndexOf('/') + 1));
const qualified = (id: TableIdent) => [...id.namespace, id.name].join('.');

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createFilesystemCatalog(opts: FilesystemCatalogOptions): FilesystemCatalog {
  const store = opts.store;
  const warehouse = opts.warehouse.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  const maxRetries = opts.maxInternalRetries ?? 5;
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  const keyOf = (location: string): string => {
    const loc = location.replace(/\/+$/, '');
    if (loc === warehouse) return '';
    if (!loc.startsWith(`${warehouse}/`)) {
      throw new Error(`location ${location} is outside the warehouse ${warehouse}`);
    }
    return loc.slice(warehouse.length + 1);
  };
  const tableKey = (id: TableIdent): string => {
    for (const part of [...id.namespace, id.name]) {
      if (!part || part.includes('/') || part === '.' || part === '..')
        throw new Error(`invalid table identifier part ${JSON.stringify(part)}`);
    }
    return [...id.namespace, id.name].join('/');
  };
  const metaKey = (tKey: string, v: number) => `${tKey}/metadata/v${v}.metadata.json`;
  const hintKey = (tKey: string) => `${tKey}/metadata/version-hint.text`;

  /** The newest version number: the hint, then probing forward (the hint may lag), or a listing. */
  const latestVersion = async (tKey: string): Promise<number | undefined> => {
    let v: number | undefined;
    const hint = await store.get(hintKey(tKey));
    if (hint) {
      const n = Number.parseInt(dec.decode(hint).trim(), 10);
      if (Number.isInteger(n) && n > 0 && (await store.exists(metaKey(tKey, n)))) v = n;
    }
    if (v === undefined) {
      const versions = (await store.list(`${tKey}/metadata/`))
        .map((k) => VERSION_RE.exec(k.slice(k.lastIndexOf('/') + 1))?.[1])
        .filter((x): x is string => x !== undefined)
        .map(Number);
      if (versions.length === 0) return undefined;
      v = Math.max(...versions);
    }
    while (await store.exists(metaKey(tKey, v + 1))) v++;
    return v;
  };

  const read = async (tKey: string, v: number): Promise<TableMetadata> => {
    const bytes = await store.get(metaKey(tKey, v));
    if (!bytes) throw new Error(`${store.location}/${metaKey(tKey, v)} disappeared`);
    return parseTableMetadata(dec.decode(bytes));
  };

  const locationOf = (tKey: string, v: number) => `${warehouse}/${metaKey(tKey, v)}`;

  /** Conditional create of vN; false when another writer made it first. */
  const writeVersion = async (tKey: string, v: number, md: TableMetadata): Promise<boolean> => {
    try {
      await store.putBytes(metaKey(tKey, v), enc.encode(serializeTableMetadata(md)), { ifNoneMatch: true });
    } catch (e) {
      if (e instanceof PreconditionFailed) return false;
      // The write may or may not have landed (a timeout after the upload): the caller must look.
      throw new CommitStateUnknownError(
        `writing ${locationOf(tKey, v)} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // Only a hint: a failure here loses nothing (readers probe forward from it). The bare number,
    // as Java writes it: some readers build `v<hint>.metadata.json` from the untrimmed text.
    await store.putBytes(hintKey(tKey), enc.encode(String(v))).catch(() => {});
    return true;
  };

  const load = async (id: TableIdent): Promise<(LoadedTable & { version: number }) | undefined> => {
    const tKey = tableKey(id);
    const v = await latestVersion(tKey);
    if (v === undefined) return undefined;
    return { metadataLocation: locationOf(tKey, v), metadata: await read(tKey, v), version: v };
  };

  /** The metadata of a new table, checked: it must live where its identifier says. */
  const newMetadata = async (id: TableIdent, req: CreateTableRequest): Promise<TableMetadata> => {
    const tKey = tableKey(id);
    const location = (req.location ?? `${warehouse}/${tKey}`).replace(/\/+$/, '');
    if (keyOf(location) !== tKey) {
      // Versions are found by the identifier, so the table must live where the identifier says.
      throw new Error(`a filesystem catalog table lives at ${warehouse}/${tKey}, not ${location}`);
    }
    if ((await latestVersion(tKey)) !== undefined) {
      throw new CommitConflictError(`table ${qualified(id)} already exists`);
    }
    try {
      return newTableMetadata({
        location,
        schema: req.schema as IcebergSchema,
        ...(req['partition-spec'] ? { spec: req['partition-spec'] as PartitionSpec } : {}),
        ...(req['write-order'] ? { sortOrder: req['write-order'] as SortOrder } : {}),
        ...(req.properties ? { properties: req.properties } : {}),
        now: now(),
      });
    } catch (e) {
      throw new InvalidUpdateError(`create table ${qualified(id)}: ${(e as Error).message}`);
    }
  };

  const createTable = async (id: TableIdent, req: CreateTableRequest): Promise<LoadedTable> => {
    const tKey = tableKey(id);
    const md = await newMetadata(id, req);
    if (!(await writeVersion(tKey, 1, md))) {
      throw new CommitConflictError(`table ${qualified(id)} already exists`);
    }
    return { metadataLocation: locationOf(tKey, 1), metadata: md };
  };

  /**
   * A staged create: the metadata the client builds its transaction on, not written, so the table
   * stays invisible to list and load until the client's commit with `assert-create` creates it.
   */
  const stageTable = async (id: TableIdent, req: CreateTableRequest): Promise<LoadedTable> => {
    const md = await newMetadata(id, req);
    return { metadata: md };
  };

  /** `assert-create`: the table is built from the updates alone and written as v1. */
  const createByCommit = async (
    id: TableIdent,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable> => {
    const tKey = tableKey(id);
    const existing = await latestVersion(tKey);
    checkRequirements(existing === undefined ? undefined : await read(tKey, existing), requirements);
    const base = emptyTableMetadata(`${warehouse}/${tKey}`, now());
    const md = completeCreatedMetadata(
      applyUpdates(
        base,
        requirements.filter((r) => r.type !== 'assert-create'),
        updates,
        { now: now() },
      ),
    );
    if (keyOf(md.location) !== tKey)
      throw new InvalidUpdateError(`set-location: a filesystem catalog table lives at ${warehouse}/${tKey}`);
    if (!(await writeVersion(tKey, 1, md)))
      throw new CommitConflictError('requirement failed: table already exists');
    return { metadataLocation: locationOf(tKey, 1), metadata: md };
  };

  return {
    kind: 'filesystem',
    warehouse,
    store,
    keyOf,

    async loadTable(id) {
      const t = await load(id);
      return t && { metadataLocation: t.metadataLocation, metadata: t.metadata };
    },

    async createTable(id, req: CreateTableRequest) {
      return req['stage-create'] ? stageTable(id, req) : createTable(id, req);
    },

    async commitTable(id, requirements: TableRequirement[], updates: TableUpdate[]) {
      const tKey = tableKey(id);
      if (requirements.some((r) => r.type === 'assert-create'))
        return createByCommit(id, requirements, updates);
      for (let attempt = 0; ; attempt++) {
        const cur = await load(id);
        if (!cur)
          throw new CommitConflictError(`table ${[...id.namespace, id.name].join('.')} does not exist`);
        // Throws CommitConflictError when a requirement no longer holds: the caller rebases.
        const next = applyUpdates(cur.metadata, requirements, updates, {
          now: now(),
          previousMetadataFile: cur.metadataLocation,
        });
        const v = cur.version + 1;
        if (await writeVersion(tKey, v, next))
          return { metadataLocation: locationOf(tKey, v), metadata: next };
        // Someone else made v(N+1): re-check our requirements against it and try v(N+2).
        if (attempt >= maxRetries) {
          throw new CommitConflictError(`lost ${attempt + 1} races for the next metadata version of ${tKey}`);
        }
      }
    },

    async dropTable(id, purge) {
      const tKey = tableKey(id);
      const cur = await load(id);
      if (!cur) return false;
      // Without purge only the versions go (the table disappears; data and manifests stay, as a
      // catalog's drop leaves files to their owner); with purge everything under the table goes.
      const keys = purge
        ? await store.list(`${tKey}/`)
        : (await store.list(`${tKey}/metadata/`)).filter((k) => isVersionKey(k) || k === hintKey(tKey));
      for (const k of keys) await store.delete(k);
      if (purge && keyOf(cur.metadata.location) !== tKey) {
        for (const k of await store.list(`${keyOf(cur.metadata.location)}/`)) await store.delete(k);
      }
      return true;
    },

    async renameTable(from, to) {
      const cur = await load(from);
      if (!cur) throw new NoSuchTableError(`table ${qualified(from)} does not exist`);
      const toKey = tableKey(to);
      if ((await latestVersion(toKey)) !== undefined)
        throw new CommitConflictError(`table ${qualified(to)} already exists`);
      // The files stay where they are (manifests name them by absolute path): the new name gets a
      // first version pointing at the same location, then the old name's versions go.
      const md: TableMetadata = { ...cur.metadata, 'metadata-log': [], 'last-updated-ms': now() };
      if (!(await writeVersion(toKey, 1, md)))
        throw new CommitConflictError(`table ${qualified(to)} already exists`);
      const fromKey = tableKey(from);
      for (const k of await store.list(`${fromKey}/metadata/`))
        if (isVersionKey(k) || k === hintKey(fromKey)) await store.delete(k);
    },

    async listTables(namespace) {
      const prefix = namespace.length > 0 ? `${namespace.join('/')}/` : '';
      const names = new Set<string>();
      for (const k of await store.list(prefix)) {
        const rest = k.slice(prefix.length).split('/');
        if (rest.length === 3 && rest[1] === 'metadata' && VERSION_RE.test(rest[2] ?? ''))
          names.add(rest[0] ?? '');
      }
      return [...names].sort().map((name) => ({ namespace, name }));
    },
  };
}

/** `file:///abs/dir` for a local warehouse directory (what data and manifest paths are written as). */
export function fileWarehouseUri(absDir: string): string {
  return pathToFileURL(absDir).href.replace(/\/+$/, '');
}
