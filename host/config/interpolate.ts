/**
 * `${VAR}`, `${VAR:-default}` and `${secret:NAME}` in string values; `$VAR` too in path-like keys (as
 * the original's os.path.expandvars did). Applied to the merged, effective config only, so a recipe
 * template value that the job overrides never has to be set.
 */
import { DativoError, type Location } from '../errors.js';
import { isCredentialKey, masker } from '../secrets/masker.js';
import { isPlainObject } from './merge.js';
import type { SecretLookup } from './secret-lookup.js';
import { formatKeyPath, type KeyPath } from './yaml-source.js';

export interface InterpolationContext {
  env: Record<string, string | undefined>;
  secrets?: SecretLookup;
  /** Where the string at this key path of the effective config came from (job or recipe). */
  locate(keyPath: KeyPath): Location;
  /** Keys whose values are paths: `$VAR` without braces expands there too. */
  isPathKey?(keyPath: KeyPath): boolean;
  /** Told of every secret and environment reference, so a plugin's config can be checked against its grant. */
  onReference?(ref: ConfigReference): void;
}

/** A `${secret:NAME}`, `${NAME}` or `$NAME` found at `keyPath` of the effective config. */
export interface ConfigReference {
  keyPath: KeyPath;
  kind: 'secret' | 'env';
  name: string;
}

const REFERENCE = /\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Interpolate every string leaf; problems are appended to `errors` (all of them, not just the first). */
export function interpolateTree(
  value: unknown,
  keyPath: KeyPath,
  ctx: InterpolationContext,
  errors: DativoError[],
): unknown {
  if (typeof value === 'string') return interpolateString(value, keyPath, ctx, errors);
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, [...keyPath, i], ctx, errors));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, [...keyPath, k], ctx, errors);
    return out;
  }
  return value;
}

export function interpolateString(
  text: string,
  keyPath: KeyPath,
  ctx: InterpolationContext,
  errors: DativoError[],
): string {
  if (!text.includes('$')) return text;
  // Values from outside the file (env, secret manager) may be secrets; text written in the file
  // (including `:-default` fallbacks) is not, and masking it would hide ordinary words in logs.
  const secretValues: string[] = [];
  const envValues: string[] = [];
  const unset = (name: string, hint: string): string => {
    const where = ctx.locate(keyPath);
    const effective = formatKeyPath(keyPath);
    const via = where.keyPath && where.keyPath !== effective ? ` (set by ${where.keyPath})` : '';
    errors.push(
      new DativoError('VARIABLE_UNSET', `${hint} in "${effective}"${via}`, {
        location: where,
        details: { variable: name },
      }),
    );
    return '';
  };
  const bareExpands = ctx.isPathKey?.(keyPath) ?? false;
  const out = text.replace(REFERENCE, (match, expr: string | undefined, bare: string | undefined) => {
    if (bare !== undefined) {
      if (!bareExpands) return match;
      ctx.onReference?.({ keyPath, kind: 'env', name: bare });
      const v = ctx.env[bare];
      if (v === undefined) return unset(bare, `environment variable ${bare} is not set`);
      envValues.push(v);
      return v;
    }
    if (expr === undefined) return match;
    if (expr.startsWith('secret:')) {
      const name = expr.slice('secret:'.length).trim();
      ctx.onReference?.({ keyPath, kind: 'secret', name });
      const v = ctx.secrets?.get(name) ?? ctx.secrets?.get(name.toLowerCase());
      if (v === undefined) {
        const where = ctx.locate(keyPath);
        errors.push(
          new DativoError(
            'SECRET_NOT_FOUND',
            ctx.secrets
              ? `secret "${name}" not found in the secret manager (used in "${formatKeyPath(keyPath)}")`
              : `secret "${name}" is used in "${formatKeyPath(keyPath)}" but no secret manager is configured`,
            { location: where, details: { secret: name } },
          ),
        );
        return '';
      }
      secretValues.push(v);
      return v;
    }
    const dflt = expr.indexOf(':-');
    const name = (dflt >= 0 ? expr.slice(0, dflt) : expr).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `invalid variable reference "\${${expr}}" in "${formatKeyPath(keyPath)}"`,
          {
            location: ctx.locate(keyPath),
          },
        ),
      );
      return '';
    }
    ctx.onReference?.({ keyPath, kind: 'env', name });
    const v = ctx.env[name];
    if (dflt >= 0 && (v === undefined || v === '')) return expr.slice(dflt + 2);
    if (v === undefined)
      return unset(name, `environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    envValues.push(v);
    return v;
  });
  const last = [...keyPath].reverse().find((s): s is string => typeof s === 'string');
  const credential = last !== undefined && isCredentialKey(last);
  for (const v of secretValues) masker.register(v);
  if (credential) for (const v of envValues) masker.register(v);
  if (secretValues.length > 0 || (credential && envValues.length > 0)) masker.register(out);
  return out;
}
