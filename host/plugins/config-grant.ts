/**
 * What of the job's config a plugin may see. The job's source (or target) block, minus what only
 * the host uses (credentials, the plugin's own path, host paths of files, state and outputs), and
 * only if every `${secret:…}` and `${ENV}` interpolated into what remains is one the grant allows:
 * otherwise a job could hand an ungranted secret to a plugin inside an ordinary string (a plugin
 * that reverses or hex-encodes it defeats the log masker). Runtime-independent: every runtime
 * takes its plugin config from here.
 */
import type { ResolvedJob } from '../config/types.js';
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { isCredentialKey } from '../secrets/masker.js';
import { auditDenial, type Grant } from './policy.js';

/** Key paths (below the source/target block) that hold host-only values. */
const HOST_ONLY: readonly (readonly string[])[] = [
  ['credentials'],
  ['plugin'],
  ['custom_reader'],
  ['custom_writer'],
  // Host paths: readers get granted files by logical name instead; the host publishes outputs.
  ['files'],
  ['connection', 'path'],
  ['incremental', 'state_path'],
];

export type PluginRole = 'reader' | 'writer';

/**
 * A writer's `target.connection` is where the host commits its outputs (a folder, a bucket and its
 * credentials): the host's business entirely, never the plugin's config.
 */
const HOST_ONLY_FOR_WRITERS: readonly (readonly string[])[] = [['connection']];

function hostOnly(keyPath: readonly (string | number)[], role: PluginRole): boolean {
  if (keyPath.some((k) => typeof k === 'string' && isCredentialKey(k))) return true;
  const rules = role === 'writer' ? [...HOST_ONLY, ...HOST_ONLY_FOR_WRITERS] : HOST_ONLY;
  return rules.some((p) => p.every((k, i) => keyPath[i] === k));
}

/**
 * The config a plugin sees: the job's source (or target) block without credentials and host-only
 * values, since a plugin gets secrets only through `secret_get` and only those granted to it.
 */
export function pluginConfigFrom(
  block: Record<string, unknown>,
  role: PluginRole = 'reader',
): Record<string, unknown> {
  const strip = (v: unknown, at: (string | number)[]): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => strip(x, [...at, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!hostOnly([...at, k], role)) out[k] = strip(x, [...at, k]);
      return out;
    }
    return v;
  };
  return strip(block, []) as Record<string, unknown>;
}

function formatPath(keyPath: readonly (string | number)[]): string {
  return keyPath.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/**
 * Refuses a plugin whose config (what pluginConfigFrom keeps) interpolated a secret or an
 * environment variable its grant does not allow, naming the key and the name; then writes the
 * audit line of what the plugin receives.
 */
export function checkConfigReferences(
  job: Pick<ResolvedJob, 'references' | 'locate'>,
  role: PluginRole,
  grant: Grant,
  logger?: Logger,
): void {
  const block = role === 'reader' ? 'source' : 'target';
  const seen = (job.references ?? []).filter(
    (r) => r.keyPath[0] === block && !hostOnly(r.keyPath.slice(1), role),
  );
  const configSecrets = new Set<string>();
  const configEnv = new Set<string>();
  for (const r of seen) {
    const key = formatPath(r.keyPath);
    const allowed = r.kind === 'secret' ? grant.secrets.includes(r.name) : grant.env.includes(r.name);
    if (!allowed) {
      const what = r.kind === 'secret' ? `secret "${r.name}"` : `environment variable ${r.name}`;
      const how =
        r.kind === 'secret'
          ? "list it in the manifest's capabilities.secrets and the job's plugin.allow.secrets"
          : "list it in the job's plugin.allow.env";
      const message =
        `plugin ${grant.plugin}: its config key ${key} uses ${what}, which is not granted to the plugin ` +
        `(capability ${r.kind === 'secret' ? 'secret' : 'env'}, resource ${r.name}); ${how}, or remove it from the plugin's config`;
      auditDenial(logger, {
        plugin: grant.plugin,
        capability: r.kind === 'secret' ? 'secret' : 'env',
        resource: r.name,
        message,
      });
      throw new DativoError('PLUGIN_DENIED', message, {
        location: { ...job.locate(key), plugin: grant.plugin },
        details: { capability: r.kind, resource: r.name, key },
      });
    }
    (r.kind === 'secret' ? configSecrets : configEnv).add(r.name);
  }
  logger?.info(
    {
      event_type: 'plugin_secrets',
      plugin: grant.plugin,
      secrets: grant.secrets,
      config_secrets: [...configSecrets].sort(),
      config_env: [...configEnv].sort(),
    },
    `plugin ${grant.plugin} receives secrets: ${grant.secrets.join(', ') || 'none'} (through secret_get); in its config: ${[...configSecrets, ...configEnv].join(', ') || 'none'}`,
  );
}
