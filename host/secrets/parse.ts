/**
 * Secret payload parsing (spec §10): a format hint wins; otherwise `{`/`[` means JSON, a multi-line
 * `K=V` blob means dotenv, anything else is text. `$VAR`/`${VAR}` in every string leaf is expanded
 * from the environment (unknown variables stay as written, as the original's `expandvars` did).
 */
import dotenv from 'dotenv';
import { DativoError } from '../errors.js';

export type SecretFormat = 'json' | 'env' | 'text' | 'raw';

export const SECRET_FORMATS: ReadonlySet<string> = new Set<SecretFormat>(['json', 'env', 'text', 'raw']);

const VAR_REF = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Expand `$VAR` and `${VAR}` in one string. Single pass: an expanded value is not expanded again. */
export function expandVars(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(VAR_REF, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = env[(braced ?? bare) as string];
    return value === undefined ? whole : value;
  });
}

/** Expand variables in every string leaf of a parsed payload (objects and arrays are walked). */
export function expandVarsDeep(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return expandVars(value, env);
  if (Array.isArray(value)) return value.map((v) => expandVarsDeep(v, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandVarsDeep(v, env);
    return out;
  }
  return value;
}

/** dotenv text → object, values expanded. */
export function parseDotenv(text: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const parsed = dotenv.parse(text);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = expandVars(v, env);
  return out;
}

/**
 * Parse one secret payload. `label` names the secret in errors; the payload itself never appears in
 * a message (JSON.parse errors quote the input, so they are not passed on).
 */
export function parseSecretPayload(
  payload: string,
  opts: { format?: string; env: NodeJS.ProcessEnv; label: string },
): unknown {
  const text = payload.trim();
  const hint = opts.format?.toLowerCase();
  if (hint === 'json' || (hint === undefined && (text.startsWith('{') || text.startsWith('[')))) {
    try {
      return expandVarsDeep(JSON.parse(text), opts.env);
    } catch (err) {
      // Auto-detected JSON that does not parse falls through to the other forms, like the original.
      if (hint === 'json') {
        const where = err instanceof SyntaxError ? positionOf(err.message) : '';
        throw new DativoError('SECRETS_UNAVAILABLE', `secret ${opts.label} is not valid JSON${where}`);
      }
    }
  }
  if (hint === 'env' || (hint === undefined && text.includes('\n') && text.includes('='))) {
    return parseDotenv(text, opts.env);
  }
  return expandVars(text, opts.env);
}

/** Keep only the position from a JSON.parse message, never the quoted input. */
function positionOf(message: string): string {
  const m = /position (\d+)/.exec(message);
  return m ? ` (at position ${m[1]})` : '';
}
