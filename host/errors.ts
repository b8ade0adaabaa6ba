/**
 * One error type for everything a user can act on. The CLI prints `message` and `location`
 * as one paragraph; the stack only with --verbose.
 */

export type ErrorCode =
  | 'CONFIG_INVALID' // a key has the wrong shape or value
  | 'CONFIG_NOT_FOUND' // a referenced file does not exist
  | 'YAML_SYNTAX'
  | 'VARIABLE_UNSET' // ${VAR} without a default and no such variable
  | 'REGISTRY_INVALID' // connector type, role, engine, strategy or cloud-mode rule violated
  | 'NOT_IMPLEMENTED' // valid config, but the connector/engine/feature is not built yet
  | 'SECRET_NOT_FOUND'
  | 'SECRETS_UNAVAILABLE'
  | 'STATE_LOCKED' // another live run holds the job's lock
  | 'STATE_CORRUPT'
  | 'SOURCE_NOT_FOUND' // an input file is missing
  | 'CSV_PARSE' // unclosed quote and similar structural errors
  | 'MARKDOWN_PARSE' // a Markdown-KV document the parser cannot read (front matter, a key-less `::` line)
  | 'SOURCE_PROTOCOL' // a source (API, connector) answered something its protocol does not allow
  | 'SOURCE_HTTP_ERROR' // an API refused a request (4xx other than auth) or kept failing
  | 'TOOLCHAIN_MISSING' // a build tool (Rust for wasm) is not installed; the message names the packages
  | 'ENGINE_UNAVAILABLE' // the engine a job needs (Docker, bubblewrap, Meltano) is not installed or not running
  | 'IMAGE_NOT_FOUND' // a connector image is neither local nor pullable
  | 'ENGINE_FAILED' // a connector run by an engine failed (crash, protocol error, TRACE ERROR)
  | 'VALIDATION_FAILED' // strict-mode contract violations
  | 'COMMIT_FAILED'
  | 'WRITE_FAILED'
  | 'INTERRUPTED'
  | 'PLUGIN_DENIED'
  | 'PLUGIN_ERROR'
  | 'PLUGIN_BAD_OUTPUT' // a plugin's batch lies about its layout (lengths, offsets, row count)
  | 'PLUGIN_VERSION_INCOMPATIBLE'
  | 'AUTHENTICATION_FAILED'
  | 'CONNECTION_FAILED'
  | 'INTERNAL';

/** Where a problem is: a config position, or a data position, or a plugin. All optional. */
export interface Location {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted key path inside the file, e.g. `source.files[0].path`. */
  keyPath?: string;
  /** 1-based source line of a data row (CSV line numbers count the header). */
  row?: number;
  field?: string;
  plugin?: string;
  stream?: string;
}

export interface DativoErrorOptions {
  location?: Location;
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class DativoError extends Error {
  readonly code: ErrorCode;
  readonly location: Location | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DativoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DativoError';
    this.code = code;
    this.location = options.location;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Several problems found in one pass (a config file with many mistakes is reported at once). */
export class DativoErrors extends DativoError {
  readonly errors: DativoError[];

  constructor(errors: DativoError[]) {
    const first = errors[0];
    super(first?.code ?? 'INTERNAL', errors.map((e) => formatOne(e)).join('\n'), {
      location: first?.location,
    });
    this.errors = errors;
  }
}

export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.file) {
    let p = loc.file;
    if (loc.line !== undefined) p += `:${loc.line}`;
    if (loc.line !== undefined && loc.column !== undefined) p += `:${loc.column}`;
    parts.push(p);
  }
  if (loc.keyPath) parts.push(`key ${loc.keyPath}`);
  if (loc.row !== undefined) parts.push(`line ${loc.row}`);
  if (loc.field) parts.push(`field ${loc.field}`);
  if (loc.plugin) parts.push(`plugin ${loc.plugin}`);
  if (loc.stream) parts.push(`stream ${loc.stream}`);
  return parts.join(', ');
}

function formatOne(e: DativoError): string {
  const where = formatLocation(e.location);
  return where ? `${where}: ${e.message}` : e.message;
}

/** The paragraph a user sees. */
export function formatError(err: unknown, verbose = false): string {
  if (err instanceof DativoErrors) {
    const body = err.errors.map((e) => `  - [${e.code}] ${formatOne(e)}`).join('\n');
    const text = `error: ${err.errors.length} problem(s) found\n${body}`;
    return verbose && err.stack ? `${text}\n${err.stack}` : text;
  }
  if (err instanceof DativoError) {
    const text = `error [${err.code}]: ${formatOne(err)}${err.retryable ? ' (retryable)' : ''}`;
    return verbose && err.stack ? `${text}\n${err.stack}` : text;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const text = `error [INTERNAL]: ${e.message}`;
  return verbose && e.stack ? `${text}\n${e.stack}` : `${text}\n(run with --verbose for the stack trace)`;
}

export function isDativoError(err: unknown): err is DativoError {
  return err instanceof DativoError;
}
