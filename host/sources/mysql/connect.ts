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
import { connectTimeoutMs, dbEndpoint } from '../sql/connection.js';

export function mysqlConnectionOptions(source: ResolvedSource): ConnectionOptions {
  const e = dbEndpoint(source, { user: ['MYSQL_USER'], password: ['MYSQL_PASSWORD', 'MYSQL_PWD', 'mysql'] });
  const out: ConnectionOptions = {
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    jsonStrings: true,
    timezone: 'Z',
    connectTimeout: connectTimeoutMs(source),
  };
  if (e.dsn) out.uri = e.dsn;
  if (e.host) out.host = e.host;
  if (e.port) out.port = e.port;
  if (e.database) out.database = e.database;
  if (e.user) out.user = e.user;
  if (e.password !== undefined) out.password = e.password;
  return out;
}
