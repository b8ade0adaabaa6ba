/**
 * Field ids are owned by the sink, not by the contract's column order (architecture §4): a
 * name → id map kept at `_dativo/field-ids/<asset>.json`. A name keeps its id forever; a new name
 * gets the next id, and ids of removed columns are never reused.
 */
import { DativoError } from '../errors.js';
import { keys } from './layout.js';
import type { ObjectStore } from './store/object-store.js';

export interface FieldIdMap {
  version: 1;
  asset: string;
  /** The id the next new column gets. */
  nextId: number;
  fields: Record<string, number>;
}

export function emptyFieldIdMap(asset: string): FieldIdMap {
  return { version: 1, asset, nextId: 1, fields: {} };
}

export async function loadFieldIds(store: ObjectStore, asset: string): Promise<FieldIdMap> {
  const key = keys.fieldIds(asset);
  const bytes = await store.get(key);
  if (!bytes) return emptyFieldIdMap(asset);
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as FieldIdMap;
    if (m.version !== 1 || typeof m.fields !== 'object' || typeof m.nextId !== 'number')
      throw new Error('bad shape');
    return m;
  } catch (e) {
    throw new DativoError(
      'STATE_CORRUPT',
      `field-id map ${key} in ${store.location} is not valid: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** Ids for `names`, adding the new ones to a copy of `map`. */
export function assignFieldIds(
  map: FieldIdMap,
  names: string[],
): { map: FieldIdMap; ids: Map<string, number>; added: string[] } {
  const next: FieldIdMap = { ...map, fields: { ...map.fields } };
  const added: string[] = [];
  const ids = new Map<string, number>();
  for (const name of names) {
    let id = next.fields[name];
    if (id === undefined) {
      id = next.nextId++;
      next.fields[name] = id;
      added.push(name);
    }
    ids.set(name, id);
  }
  return { map: next, ids, added };
}

/**
 * Persist the ids a run used. The stored map is re-read and merged, so another run of the same
 * asset that added other columns meanwhile keeps them; a name the other run numbered differently
 * is a conflict the files already written cannot resolve.
 */
export async function saveFieldIds(
  store: ObjectStore,
  asset: string,
  used: ReadonlyMap<string, number>,
): Promise<FieldIdMap> {
  const current = await loadFieldIds(store, asset);
  const merged: FieldIdMap = { ...current, fields: { ...current.fields } };
  let changed = false;
  for (const [name, id] of used) {
    const have = merged.fields[name];
    if (have === undefined) {
      merged.fields[name] = id;
      changed = true;
    } else if (have !== id) {
      throw new DativoError(
        'COMMIT_FAILED',
        `field id conflict for column ${name} of ${asset}: this run used ${id}, the stored map says ${have} (a concurrent run added it)`,
      );
    }
    if (id >= merged.nextId) {
      merged.nextId = id + 1;
      changed = true;
    }
  }
  if (changed)
    await store.putBytes(
      keys.fieldIds(asset),
      new TextEncoder().encode(`${JSON.stringify(merged, null, 2)}\n`),
    );
  return merged;
}
