/**
 * Loading jobs for the CLI: read the tenant, load that tenant's secrets, then resolve the job
 * with them. Only the component that needs a secret receives it (the config layer hands
 * credentials to the one connector that asked for them).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJob } from '../config/load-job.js';
import { isPlainObject } from '../config/merge.js';
import { ignoredKeyWarnings } from '../config/original-keys.js';
import type { SecretLookup } from '../config/secret-lookup.js';
import type { ResolvedJob } from '../config/types.js';
import { parseYaml, type YamlSource } from '../config/yaml-source.js';
import { refusedPlugin } from '../connectors/index.js';
import { DativoError, formatLocation } from '../errors.js';
import { createSecretLookup, createSecretManager } from '../secrets/index.js';
import type { CommonOptions } from './options.js';
import { printLine } from './output.js';

/** The raw document, for what must be known before loading: the tenant, refused plugins. */
async function peek(file: string): Promise<YamlSource | undefined> {
  try {
    return parseYaml(await readFile(file, 'utf8'), path.resolve(file));
  } catch {
    return undefined; // loadJob reports the real problem with its position
  }
}

function tenantOf(doc: YamlSource | undefined): string | undefined {
  const tenant = (doc?.data as { tenant_id?: unknown } | null)?.tenant_id;
  return typeof tenant === 'string' ? tenant : undefined;
}

/**
 * A native plugin (and, for a run, a Python one) is refused before anything it references is even
 * looked at: no point reporting a missing contract for a job that can never run here.
 */
function refusePlugins(doc: YamlSource | undefined, forRun: boolean): void {
  const data = doc?.data as {
    source?: { custom_reader?: unknown };
    target?: { custom_writer?: unknown };
  } | null;
  const refs: [unknown, string][] = [
    [data?.source?.custom_reader, 'source.custom_reader'],
    [data?.target?.custom_writer, 'target.custom_writer'],
  ];
  for (const [ref, keyPath] of refs) {
    if (typeof ref !== 'string' || !doc) continue;
    const problem = refusedPlugin(ref, doc.locate(keyPath));
    if (problem && (forRun || problem.code === 'PLUGIN_DENIED')) throw problem;
  }
}

async function secretsFor(
  tenant: string | undefined,
  opts: CommonOptions,
): Promise<SecretLookup | undefined> {
  if (!tenant) return undefined;
  const manager = createSecretManager(opts.secretManager, {
    secretsDir: opts.secretsDir,
    config: opts.secretManagerConfig,
    env: process.env,
  });
  // The default env manager finds nothing unless DATIVO_SECRET__* variables exist; a filesystem
  // manager with no folder for this tenant is only an error when it was asked for explicitly.
  try {
    return createSecretLookup(await manager.load(tenant));
  } catch (err) {
    if (err instanceof DativoError && err.code === 'SECRETS_UNAVAILABLE' && !opts.secretManager)
      return undefined;
    throw err;
  }
}

export async function loadJobForCli(file: string, opts: CommonOptions, forRun = true): Promise<ResolvedJob> {
  const doc = await peek(file);
  refusePlugins(doc, forRun);
  const tenant = tenantOf(doc);
  if (opts.tenantId && tenant && tenant !== opts.tenantId) {
    throw new DativoError(
      'CONFIG_INVALID',
      `job tenant "${tenant}" does not match --tenant-id "${opts.tenantId}"`,
      {
        location: { file, keyPath: 'tenant_id' },
      },
    );
  }
  const secrets = await secretsFor(opts.tenantId ?? tenant, opts);
  const job = await loadJob(file, {
    cwd: process.cwd(),
    env: process.env,
    mode: opts.mode,
    stateDir: opts.stateDir,
    secrets,
  });
  warnIgnoredKeys(doc);
  return job;
}

/** Keys the original acted on that we ignore on purpose: said once per load, with their position. */
function warnIgnoredKeys(doc: YamlSource | undefined): void {
  if (!doc || !isPlainObject(doc.data)) return;
  for (const e of ignoredKeyWarnings(doc.data)) {
    const where = formatLocation(doc.locate(e.key));
    printLine(`warning: ${where || e.key}: ignored on purpose: ${e.why}`);
  }
}
