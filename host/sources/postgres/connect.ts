/**
 * pg client settings from the job: `source.connection` {host, port, database, user, password,
 * sslmode} (the recipe's template supplies `${PGHOST}` and friends), or a `dsn` / `connection_string`;
 * the user and password may come from the resolved credentials (`/secrets/{tenant}/postgres.env`:
 * PGUSER / PGPASSWORD, or user / password). What is still missing pg takes from PG* variables.
 */
import type { ClientConfig } from 'pg';
import type { ResolvedSource } from '../../config/types.js';
import { connectTimeoutMs, dbEndpoint, pick } from '../sql/connection.js';

export function pgClientConfig(source: ResolvedSource): ClientConfig {
  const e = dbEndpoint(source, {
    user: ['PGUSER', 'POSTGRES_USER'],
    password: ['PGPASSWORD', 'POSTGRES_PASSWORD', 'postgres'],
  });
  const out: ClientConfig = { application_name: 'dativo', connectionTimeoutMillis: connectTimeoutMs(source) };
  if (e.dsn) out.connectionString = e.dsn;
  if (e.host) out.host = e.host;
  if (e.port) out.port = e.port;
  if (e.database) out.database = e.database;
  if (e.user) out.user = e.user;
  if (e.password !== undefined) out.password = e.password;
  const sslmode = pick(e.connection, 'sslmode', 'ssl_mode');
  if (sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full') {
    out.ssl = { rejectUnauthorized: sslmode !== 'require' };
  }
  return out;
}
