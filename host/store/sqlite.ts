/**
 * The embedded store: one SQLite file (default `<state dir>/dativo.db`) through better-sqlite3.
 * WAL lets the console read while a run writes; the busy timeout makes concurrent writers from
 * several processes (a `dativo run` next to `dativo start`) wait instead of failing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import { acquireLeaseLock } from './lease-lock.js';
import { historyQueries } from './queries.js';
import { migrate, type StoreDatabase } from './schema.js';
import type { HistoryStore } from './types.js';

export async function openSqliteStore(file: string): Promise<HistoryStore> {
  // Loaded here: the native module is only needed by commands that touch the store.
  const { default: Database } = await import('better-sqlite3');
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const conn = new Database(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('busy_timeout = 10000');
  const db = new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database: conn }) });
  await migrate(db);
  return {
    kind: 'sqlite',
    where: file,
    ...historyQueries(db),
    acquireLock: (key, options) => acquireLeaseLock(db, key, file, options),
    close: () => db.destroy(),
  };
}
