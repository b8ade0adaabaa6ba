/**
 * The REST catalog's wire details shared by the client and the server: paths (namespaces joined
 * by the unit separator, as the OpenAPI spec defines them), the error model, and JSON responses.
 */

/** `ErrorModel` of the OpenAPI spec, wrapped as `{ error: ... }`. */
export interface RestErrorBody {
  error: { message: string; type: string; code: number };
}

/** Namespace levels are joined by 0x1F (unit separator) and percent-encoded in one path segment. */
export function encodeNamespace(namespace: readonly string[]): string {
  return encodeURIComponent(namespace.join('\u001f'));
}

export function decodeNamespace(segment: string): string[] {
  return segment.split('\u001f');
}

/**
 * `/v1/` + optional prefix, without a trailing slash. The prefix is used as the server sent it, as
 * the Java client does (Nessie's `main|warehouse` style prefixes arrive ready for the path).
 */
export function basePath(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p ? `/v1/${p}` : '/v1';
}

export function tablePath(prefix: string | undefined, namespace: readonly string[], name?: string): string {
  const ns = `${basePath(prefix)}/namespaces/${encodeNamespace(namespace)}`;
  return name === undefined ? `${ns}/tables` : `${ns}/tables/${encodeURIComponent(name)}`;
}

/** The server's error message and type, when the body is the spec's error model. */
export function readErrorBody(body: unknown): { message?: string; type?: string } {
  if (!body || typeof body !== 'object') return {};
  const err = (body as { error?: unknown }).error;
  if (!err || typeof err !== 'object') return {};
  const { message, type } = err as { message?: unknown; type?: unknown };
  return {
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof type === 'string' ? { type } : {}),
  };
}
