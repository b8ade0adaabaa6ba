/**
 * The install-side commands as functions the CLI calls: install a spec (registry NAME[@range],
 * `oci:DIR[:tag]`, or a local folder), update within the locked ranges, and pull for air-gapped use.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { DativoError } from '../errors.js';
import { MANIFEST_FILE } from '../plugins/manifest.js';
import { type InstallContext, installCandidate, installFromDir } from './install.js';
import { type LockEntry, readLock } from './lock.js';
import { pullToLayout } from './publish.js';
import type { PluginRegistry } from './registry.js';
import { parseSpec, readVersion, resolveCandidate, versionsOf } from './resolve.js';
import { LayoutWriter, layoutStore } from './store.js';
import type { TrustSet } from './trust.js';

export interface Installed extends LockEntry {
  name: string;
}

/** `oci:DIR` or `oci:DIR:TAG` → the layout folder and the tag (if any). */
export function parseLayoutRef(spec: string): { dir: string; tag?: string } {
  const rest = spec.slice('oci:'.length);
  const m = /^(.*?)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?$/.exec(rest);
  const dir = m?.[1] ?? rest;
  return m?.[2] && !existsSync(rest) ? { dir, tag: m[2] } : { dir: rest };
}

function isPluginFolder(spec: string): boolean {
  return existsSync(spec) && statSync(spec).isDirectory() && existsSync(path.join(spec, MANIFEST_FILE));
}

/** From an OCI image layout: one plugin version (the tag, or the only version in it). */
async function installFromLayout(spec: string, trust: TrustSet, ctx: InstallContext): Promise<Installed> {
  const { dir, tag } = parseLayoutRef(spec);
  const store = layoutStore(dir);
  const tags = await store.tags();
  const versions = tag ? [tag] : versionsOf(tags);
  const version = versions[0];
  if (!version || versions.length > 1) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${dir} holds ${versions.length === 0 ? 'no plugin version' : `versions ${versions.join(', ')}`}: name one as oci:${dir}:VERSION`,
    );
  }
  const manifest = await store.manifest(version);
  const name = manifest?.manifest.annotations?.['org.opencontainers.image.title'];
  if (!name) throw new DativoError('CONFIG_INVALID', `${dir}:${version} is not a Dativo plugin artifact`);
  const cand = await readVersion(store, name, version, trust, tags);
  return { name, ...(await installCandidate(cand, version, ctx)) };
}

export async function installSpec(
  spec: string,
  openRegistry: () => Promise<PluginRegistry>,
  trust: TrustSet,
  ctx: InstallContext,
): Promise<Installed> {
  if (spec.startsWith('oci:')) return installFromLayout(spec, trust, ctx);
  if (isPluginFolder(spec)) {
    return installFromDir(spec, ctx);
  }
  const { name, range } = parseSpec(spec);
  const reg = await openRegistry();
  const cand = await resolveCandidate(reg.store(name), name, range, trust);
  return { name, ...(await installCandidate(cand, range, ctx)) };
}

/**
 * `plugin update [NAME...]`: for each registry-installed plugin, the newest version within the
 * range it was installed with. Capabilities beyond the approved ones need a new approval.
 */
export async function updatePlugins(
  names: string[],
  openRegistry: (location: string) => Promise<PluginRegistry>,
  trust: TrustSet,
  ctx: InstallContext,
): Promise<Array<{ name: string; from: string; to: string }>> {
  const lock = readLock(ctx.projectDir);
  const chosen = names.length > 0 ? names : Object.keys(lock.plugins).sort();
  const changes: Array<{ name: string; from: string; to: string }> = [];
  for (const name of chosen) {
    const entry = lock.plugins[name];
    if (!entry)
      throw new DativoError(
        'CONFIG_NOT_FOUND',
        `plugin ${name} is not installed; run dativo plugin install ${name}`,
      );
    if (entry.source !== 'registry') continue;
    const reg = await openRegistry(entry.location.slice(0, entry.location.length - name.length - 1));
    const cand = await resolveCandidate(reg.store(name), name, entry.range, trust);
    if (!semver.gt(cand.version, entry.version)) continue;
    await installCandidate(cand, entry.range, ctx);
    changes.push({ name, from: entry.version, to: cand.version });
  }
  return changes;
}

/** `plugin pull NAME[@range] --to oci:DIR`: resolve (signature and ABI checked) and copy. */
export async function pullSpec(
  spec: string,
  to: string,
  reg: PluginRegistry,
  trust: TrustSet,
): Promise<{ name: string; version: string; digest: string; dir: string }> {
  if (!to.startsWith('oci:'))
    throw new DativoError('CONFIG_INVALID', `--to ${to}: expected oci:DIR (an OCI image layout folder)`);
  const { name, range } = parseSpec(spec);
  const store = reg.store(name);
  const cand = await resolveCandidate(store, name, range, trust);
  const dir = path.resolve(to.slice('oci:'.length));
  const digest = await pullToLayout(store, cand.version, new LayoutWriter(dir));
  return { name, version: cand.version, digest, dir };
}
