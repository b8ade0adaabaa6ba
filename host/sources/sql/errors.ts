/**
 * Driver errors → DativoError with a code a user can act on. Postgres SQLSTATEs and MySQL errnos
 * are sorted into: bad credentials, unreachable server (retryable), a query or name the job got
 * wrong (config), and the rest. Messages pass through the masker later (run report / logger).
 */
import { DativoError, type Location } from '../../errors.js';

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  sqlState?: string;
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
]);

export function sqlError(db: string, err: unknown, what: string, location?: Location): DativoError {
  if (err instanceof DativoError) return err;
  const e = (err ?? {}) as DriverError;
  const msg = `${db}: ${what}: ${e.message ?? String(err)}`;
  const code = e.code ?? '';
  const state = e.sqlState ?? (/^[0-9A-Z]{5}$/.test(code) ? code : '');
  const opts = location ? { location, cause: err } : { cause: err };
  if (state === '28P01' || state === '28000' || code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045) {
    return new DativoError('AUTHENTICATION_FAILED', msg, { ...opts, retryable: false });
  }
  if (
    NETWORK.has(code) ||
    state.startsWith('08') ||
    state.startsWith('57P') ||
    state.startsWith('53') ||
    /timeout|terminat/i.test(e.message ?? '')
  ) {
    return new DativoError('CONNECTION_FAILED', msg, { ...opts, retryable: true });
  }
  if (state === '42P01' || e.errno === 1146)
    return new DativoError('SOURCE_NOT_FOUND', msg, { ...opts, retryable: false });
  if (state.startsWith('42') || code.startsWith('ER_PARSE') || code === 'ER_BAD_FIELD_ERROR') {
    return new DativoError('CONFIG_INVALID', msg, { ...opts, retryable: false });
  }
  return new DativoError('CONNECTION_FAILED', msg, { ...opts, retryable: false });
}
