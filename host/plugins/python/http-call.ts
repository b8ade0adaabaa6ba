/**
 * The `http` host call of a Python plugin (its `requests` module sends through here): the same
 * client as the Extism runtime (http-policy.ts: granted `host:port`s and methods only, redirects
 * re-checked, size cap, retries), the same denial text and the same audit line. Bodies cross the
 * frame as base64 because the header is JSON.
 */
import type { Logger } from '../../observability/logger.js';
import { createHttpClient } from '../http-policy.js';
import { auditDenial, type Grant } from '../policy.js';

export interface PythonHttpArgs {
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  /** base64 */
  body?: unknown;
  /** The `timeout=` of the Python call, seconds (bounded by the policy's request_timeout_ms). */
  timeout?: unknown;
}

export type PythonHttpReply =
  | { ok: true; status: number; headers: Record<string, string>; body: string; url: string }
  | { ok: false; code: string; error: string; denied?: boolean };

function headersOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}

/** One `http` host call per invocation; `signal` ends a request whose plugin call has ended. */
export function pythonHttpCall(
  grant: Grant,
  opts: { logger?: Logger | undefined; fetch?: typeof fetch } = {},
): (args: PythonHttpArgs, signal?: AbortSignal) => Promise<PythonHttpReply> {
  const client = createHttpClient({
    name: `plugin ${grant.plugin}`,
    hosts: grant.hosts,
    policy: grant.http,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return async (args, signal) => {
    if (typeof args.url !== 'string')
      return { ok: false, code: 'BAD_REQUEST', error: `plugin ${grant.plugin}: http needs a url` };
    const seconds = Number(args.timeout);
    const timeout = Number.isFinite(seconds) && seconds > 0 ? AbortSignal.timeout(seconds * 1000) : undefined;
    const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const body = typeof args.body === 'string' ? new Uint8Array(Buffer.from(args.body, 'base64')) : undefined;
    const outcome = await client(
      { method: String(args.method ?? 'GET'), url: args.url, headers: headersOf(args.headers) },
      body,
      signals.length > 0 ? { signal: AbortSignal.any(signals) } : {},
    );
    if (outcome.ok) {
      const r = outcome.response;
      return {
        ok: true,
        status: r.status,
        headers: r.headers,
        body: Buffer.from(r.body).toString('base64'),
        url: r.url,
      };
    }
    const e = outcome.error;
    if (e.denied) {
      auditDenial(opts.logger, {
        plugin: grant.plugin,
        capability: e.denied.capability,
        resource: e.denied.resource,
        message: e.message,
      });
      return { ok: false, code: e.code, error: e.message, denied: true };
    }
    if (timeout?.aborted && !signal?.aborted)
      return {
        ok: false,
        code: 'TIMEOUT',
        error: `${e.message.replace(/ cancelled: .*$/, '')} timed out after ${seconds} s`,
      };
    return { ok: false, code: e.code, error: e.message };
  };
}
