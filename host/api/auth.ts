/**
 * Bearer-token auth for every route except the ones named public (`/health`). The comparison is
 * constant-time over SHA-256 digests, so neither the token's content nor its length leaks through
 * timing. The token is registered with the masker and never logged; failures log only the path.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../observability/logger.js';
import { masker } from '../secrets/masker.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  // Hash both sides first: equal-length inputs for timingSafeEqual whatever was sent.
  const ok = timingSafeEqual(digest(expected), digest(given));
  return ok && expected.length > 0;
}

export function bearerAuth(opts: {
  token: string;
  publicPaths: string[];
  logger: Logger;
}): MiddlewareHandler {
  masker.register(opts.token);
  const open = new Set(opts.publicPaths);
  return async (c, next) => {
    if (open.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!tokenMatches(opts.token, m?.[1])) {
      opts.logger.warn(
        { event_type: 'api_unauthorized', path: c.req.path, method: c.req.method, had_token: Boolean(m) },
        'API request refused: missing or wrong bearer token',
      );
      return c.json({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } }, 401, {
        'WWW-Authenticate': 'Bearer realm="dativo"',
      });
    }
    return next();
  };
}
