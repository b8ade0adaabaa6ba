/**
 * One place that chooses the store: `postgres://…` (or `postgresql://…`) is the shared PostgreSQL
 * store; anything else is a SQLite file path (`sqlite:` prefix optional); nothing means
 * `<state dir>/dativo.db`, where the state dir is `--state-dir`, $STATE_DIR or `.local/state`.
 */
import path from 'node:path';
import type { HistoryStore } from './types.js';

export type * from './types.js';

export interface StoreLocation {
  store?: string;
  stateDir?: string;
}

export function storeUrl(loc: StoreLocation, env: NodeJS.ProcessEnv = process.env): string {
  const given = loc.store ?? env.DATIVO_STORE;
  if (given) return given;
  return path.join(loc.stateDir ?? env.STATE_DIR ?? '.local/state', 'dativo.db');
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openStore(
  loc: StoreLocation,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HistoryStore> {
  const url = storeUrl(loc, env);
  if (isPostgresUrl(url)) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(url);
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(url.replace(/^sqlite:/, ''));
}
