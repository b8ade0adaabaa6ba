/**
 * Parts of the merged (recipe + job) config that the chosen job path never reads, removed before
 * interpolation so their `${VAR}`s are not required:
 *
 * - `engine.options.<engine>` of every engine other than the one chosen (a native job does not
 *   need the Airbyte image's variables);
 * - flat `connection` keys that a nested `connection.s3` / `connection.minio` map also sets (the
 *   store reads the nested value first, so the recipe's flat `${S3_BUCKET}` template is shadowed).
 *
 * Only whole keys that cannot be read are dropped: a value that is read still needs its variable,
 * and the error names the key.
 */
import { isPlainObject } from './merge.js';

const NESTED_STORES = ['s3', 'minio'] as const;

function withoutOtherEngines(engine: unknown, chosen: string, engines: ReadonlySet<string>): unknown {
  if (!isPlainObject(engine) || !isPlainObject(engine.options)) return engine;
  const options = Object.fromEntries(
    Object.entries(engine.options).filter(([k]) => k === chosen || !engines.has(k)),
  );
  return { ...engine, options };
}

function withoutShadowedFlatKeys(connection: unknown): unknown {
  if (!isPlainObject(connection)) return connection;
  const nested = NESTED_STORES.map((k) => connection[k]).filter(isPlainObject);
  if (nested.length === 0) return connection;
  return Object.fromEntries(
    Object.entries(connection).filter(
      ([k, v]) => isPlainObject(v) || !nested.some((n) => n[k] !== undefined && n[k] !== null && n[k] !== ''),
    ),
  );
}

/** The merged `source` or `target` block without the branches its engine and store never read. */
export function withoutUnusedBranches(
  merged: Record<string, unknown>,
  chosenEngine: string,
  engines: ReadonlySet<string>,
): Record<string, unknown> {
  const out = { ...merged };
  if (out.engine !== undefined) out.engine = withoutOtherEngines(out.engine, chosenEngine, engines);
  if (out.connection !== undefined) out.connection = withoutShadowedFlatKeys(out.connection);
  return out;
}
