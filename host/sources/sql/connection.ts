/**
 * Where a database source connects, read the same way for every driver: the job's `connection`
 * map (host, port, database, user, password, or a DSN), with user and password falling back to the
 * credentials the config layer resolved (recipe `file_template`, secret manager). Each driver then
 * turns this into its own client options.
 */
import type { ResolvedSource } from '../../config/types.js';

export interface DbEndpoint {
  dsn?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** The raw `connection` map, for driver-specific keys (e.g. sslmode). */
  connection: Record<string, unknown>;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The first of `keys` that holds a non-blank string or a number. */
export function pick(map: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = str(map[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

export function dbEndpoint(
  source: ResolvedSource,
  credentialKeys: { user: string[]; password: string[] },
): DbEndpoint {
  const cfg = source.config;
  const connection = (
    typeof cfg.connection === 'object' && cfg.connection !== null ? cfg.connection : {}
  ) as Record<string, unknown>;
  const cred = source.credentials;
  const port = pick(connection, 'port');
  const out: DbEndpoint = { connection };
  const dsn =
    pick(cfg, 'dsn', 'connection_string') ?? pick(connection, 'dsn', 'connection_string', 'url', 'uri');
  const host = pick(connection, 'host', 'hostname');
  const database = pick(connection, 'database', 'dbname', 'db');
  const user = pick(connection, 'user', 'username') ?? pick(cred, 'user', 'username', ...credentialKeys.user);
  const password = pick(connection, 'password') ?? pick(cred, 'password', ...credentialKeys.password);
  if (dsn) out.dsn = dsn;
  if (host) out.host = host;
  if (port) out.port = Number(port);
  if (database) out.database = database;
  if (user) out.user = user;
  if (password !== undefined) out.password = password;
  return out;
}

/** The driver's connect timeout: `engine.options.connect_timeout_ms`, default 30 s. */
export function connectTimeoutMs(source: ResolvedSource): number {
  const t = source.options.connect_timeout_ms;
  return typeof t === 'number' ? t : 30_000;
}
