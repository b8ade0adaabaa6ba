/**
 * A plugin reports failure, it does not trap: throwing a `PluginError` from an export becomes the
 * WIT `err(error)` the host reports as PLUGIN_ERROR with this code (jco/componentize-js turn a
 * thrown value with a `payload` into `err(payload)`; any other exception traps the instance).
 */
export interface ErrorRecord {
  code: string;
  message: string;
  retryable: boolean;
}

export class PluginError extends Error {
  readonly payload: ErrorRecord;

  constructor(code: string, message: string, retryable = false) {
    super(message);
    this.payload = { code, message, retryable };
  }
}

/** The `error` record a host call failed with (host imports throw it as is), or undefined. */
export function errorRecordOf(e: unknown): ErrorRecord | undefined {
  const r = (e as { payload?: unknown } | null)?.payload ?? e;
  if (r && typeof r === 'object' && typeof (r as ErrorRecord).code === 'string') return r as ErrorRecord;
  return undefined;
}

/** Re-throws a host failure as a PluginError (keeping its code), so it reaches the host as `err`. */
export function asPluginError(e: unknown): PluginError {
  if (e instanceof PluginError) return e;
  const r = errorRecordOf(e);
  if (r) return new PluginError(r.code, r.message, r.retryable);
  return new PluginError('PLUGIN_ERROR', e instanceof Error ? e.message : String(e));
}
