/**
 * pg client settings from the job: `source.connection` {host, port, database, user, password,
 * sslmode} (the recipe's template supplies `${PGHOST}` and friends), or a `dsn` / `connection_string`;
 * the user and password may come from the resolved credentials (`/secrets/{tenant}/postgres.env`:
 * PGUSER / PGPASSWORD, or user / password). What is still missing pg takes from PG* variables.
 */
import type { ClientConfig } from 'pg';
import type { ResolvedSource } from '../../config/types.js';

function str(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function pick(map: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = str(map[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

export function pgClientConfig(source: ResolvedSource): ClientConfig {
  const cfg = source.config;
  const conn = (
    typeof cfg.connection === 'object' && cfg.connection !== null ? cfg.connection : {}
  ) as Record<string, unknown>;
  const cred = source.credentials;
  const out: ClientConfig = { application_name: 'dativo' };
  const dsn = pick(cfg, 'dsn', 'connection_string') ?? pick(conn, 'dsn', 'connection_string', 'url');
  if (dsn) out.connectionString = dsn;
  const host = pick(conn, 'host', 'hostname');
  const port = pick(conn, 'port');
  const database = pick(conn, 'database', 'dbname', 'db');
  const user = pick(conn, 'user', 'username') ?? pick(cred, 'user', 'username', 'PGUSER', 'POSTGRES_USER');
  const password =
    pick(conn, 'password') ?? pick(cred, 'password', 'PGPASSWORD', 'POSTGRES_PASSWORD', 'postgres');
  if (host) out.host = host;
  if (port) out.port = Number(port);
  if (database) out.database = database;
  if (user) out.user = user;
  if (password !== undefined) out.password = password;
  const sslmode = pick(conn, 'sslmode', 'ssl_mode');
  if (sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full') {
    out.ssl = { rejectUnauthorized: sslmode !== 'require' };
  }
  const timeout = source.options.connect_timeout_ms;
  out.connectionTimeoutMillis = typeof timeout === 'number' ? timeout : 30_000;
  return out;
}
