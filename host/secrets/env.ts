/**
 * Secrets from environment variables: `DATIVO_SECRET__{TENANT|GLOBAL|ALL}__{NAME}[__json|env|text|raw]`,
 * matched case-insensitively; the key is the lower-cased name (its parts joined with `_`).
 * A tenant-scoped variable wins over a global one of the same name, whatever the environment's order.
 */
import { loaded, type SecretManager } from './manager.js';
import { parseSecretPayload, SECRET_FORMATS } from './parse.js';

export interface EnvSecretManagerOptions {
  prefix?: string;
  delimiter?: string;
  allow_global_scope?: boolean;
  env?: NodeJS.ProcessEnv;
}

const GLOBAL_SCOPES = ['GLOBAL', 'ALL'];

export function createEnvSecretManager(options: EnvSecretManagerOptions = {}): SecretManager {
  const prefix = (options.prefix ?? 'DATIVO_SECRET').toUpperCase();
  const delimiter = options.delimiter ?? '__';
  const allowGlobal = options.allow_global_scope ?? true;
  const env = options.env ?? process.env;

  return {
    kind: 'env',
    async load(tenant: string): Promise<Record<string, unknown>> {
      const tenantScope = tenant.toUpperCase();
      const scoped: Record<string, unknown> = {};
      const global: Record<string, unknown> = {};
      const head = `${prefix}${delimiter}`.toUpperCase();
      for (const [key, value] of Object.entries(env)) {
        if (value === undefined || !key.toUpperCase().startsWith(head)) continue;
        const rest = key.slice(head.length);
        const upper = rest.toUpperCase();
        // Compare the scope as a prefix, not a split part, so a tenant id may contain the delimiter.
        let target: Record<string, unknown> | undefined;
        let nameText: string | undefined;
        if (upper.startsWith(`${tenantScope}${delimiter.toUpperCase()}`)) {
          target = scoped;
          nameText = rest.slice(tenantScope.length + delimiter.length);
        } else if (allowGlobal) {
          const g = GLOBAL_SCOPES.find((s) => upper.startsWith(`${s}${delimiter.toUpperCase()}`));
          if (g) {
            target = global;
            nameText = rest.slice(g.length + delimiter.length);
          }
        }
        if (!target || nameText === undefined) continue;
        const parts = nameText.split(delimiter).filter((p) => p !== '');
        let format: string | undefined;
        // A trailing format word is a hint only when a name remains before it.
        if (parts.length > 1 && SECRET_FORMATS.has(parts[parts.length - 1]!.toLowerCase())) {
          format = parts.pop()!.toLowerCase();
        }
        const name = parts.join('_').toLowerCase();
        if (!name) continue;
        target[name] = loaded(parseSecretPayload(value, { format, env, label: `${name} (${key})` }));
      }
      return { ...global, ...scoped };
    },
  };
}
