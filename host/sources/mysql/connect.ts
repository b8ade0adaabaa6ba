/**
 * mysql2 connection settings from the job: `source.connection` {host, port, database, user,
 * password} (the recipe's template supplies `${MYSQL_HOST}` and friends) or a `dsn` URI; user and
 * password may come from the resolved credentials (`/secrets/{tenant}/mysql.env`: MYSQL_USER /
 * MYSQL_PASSWORD, or user / password).
 *
 * Value options are fixed here because the column builders depend on them: dates as strings (JS
 * Date would drop microseconds and apply the local zone), DECIMAL and JSON as text, BIGINT as a
 * number when exact and a string otherwise. The session runs in UTC so TIMESTAMP values are UTC.
 */
import type { ConnectionOptions } from 'mysql2';
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

export function mysqlConnectionOptions(source: ResolvedSource): ConnectionOptions {
  const cfg = source.config;
  const conn = (
    typeof cfg.connection === 'object' && cfg.connection !== null ? cfg.connection : {}
  ) as Record<string, unknown>;
  const cred = source.credentials;
  const out: ConnectionOptions = {
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    jsonStrings: true,
    timezone: 'Z',
    connectTimeout:
      typeof source.options.connect_timeout_ms === 'number' ? source.options.connect_timeout_ms : 30_000,
  };
  const dsn = pick(cfg, 'dsn', 'connection_string') ?? pick(conn, 'dsn', 'connection_string', 'url', 'uri');
  if (dsn) out.uri = dsn;
  const host = pick(conn, 'host', 'hostname');
  const port = pick(conn, 'port');
  const database = pick(conn, 'database', 'dbname', 'db');
  const user = pick(conn, 'user', 'username') ?? pick(cred, 'user', 'username', 'MYSQL_USER');
  const password = pick(conn, 'password') ?? pick(cred, 'password', 'MYSQL_PASSWORD', 'MYSQL_PWD', 'mysql');
  if (host) out.host = host;
  if (port) out.port = Number(port);
  if (database) out.database = database;
  if (user) out.user = user;
  if (password !== undefined) out.password = password;
  return out;
}
