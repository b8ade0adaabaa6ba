/**
 * Where a value of the effective (merged) config came from. The effective `source` and `target`
 * blocks are the job's keys over the recipe's, so a key path like `target.connection.s3.endpoint`
 * is found in the job file if the job wrote it, else under the recipe key that supplied it
 * (`connection_template.s3.endpoint`). Errors then name the file a user has to edit.
 */
import type { Location } from '../errors.js';
import { formatKeyPath, type KeyPath, type YamlSource } from './yaml-source.js';

/** Effective key (under source/target) → recipe key. */
const SOURCE_MAP: Record<string, KeyPath> = {
  type: ['type'],
  engine: ['default_engine'],
  connection: ['connection_template'],
  credentials: ['credentials'],
  rate_limits: ['rate_limits'],
  incremental: ['incremental'],
};
const TARGET_MAP: Record<string, KeyPath> = {
  type: ['type'],
  engine: ['default_engine'],
  connection: ['connection_template'],
  catalog: ['catalog'],
  file_format: ['file_format'],
  partitioning: ['partitioning_default'],
};
const INCREMENTAL_KEYS: Record<string, string> = {
  strategy: 'strategy',
  cursor_field: 'cursor_field_default',
  lookback_days: 'lookback_days_default',
};

function toRecipePath(p: KeyPath): KeyPath | undefined {
  const [side, key, ...rest] = p;
  if (typeof key !== 'string') return undefined;
  const map = side === 'source' ? SOURCE_MAP : side === 'target' ? TARGET_MAP : undefined;
  const head = map?.[key];
  if (!head) return undefined;
  if (side === 'source' && key === 'incremental' && typeof rest[0] === 'string') {
    const k = INCREMENTAL_KEYS[rest[0]];
    return k ? [...head, k, ...rest.slice(1)] : undefined;
  }
  return [...head, ...rest];
}

export interface Origins {
  job: YamlSource;
  sourceRecipe?: YamlSource;
  targetRecipe?: YamlSource;
}

/**
 * The position of an effective key path: the deepest prefix the job wrote, or the recipe supplied,
 * whichever is deeper (the job wins a tie, as it does in the merge). The returned keyPath is the
 * path inside the file the position is in.
 */
export function locateEffective(o: Origins, p: KeyPath): Location {
  const recipe = p[0] === 'source' ? o.sourceRecipe : p[0] === 'target' ? o.targetRecipe : undefined;
  for (let k = p.length; k >= 1; k--) {
    const prefix = p.slice(0, k);
    if (o.job.has(prefix)) return { ...o.job.locate(prefix), keyPath: formatKeyPath(p) };
    const rp = recipe ? toRecipePath(prefix) : undefined;
    if (recipe && rp && recipe.has(rp)) {
      // Point at the recipe key; name the full recipe path when the rest exists there too.
      const full = toRecipePath(p);
      return recipe.locate(full && recipe.has(full) ? full : rp);
    }
  }
  return { ...o.job.locate([]), keyPath: formatKeyPath(p) };
}
