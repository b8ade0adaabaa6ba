/**
 * Installing a resolved plugin: download every layer (digest-checked), check the files against the
 * signed config, show the capabilities and get them approved, then write the plugin folder
 * atomically (temp folder + rename) and record it in dativo.lock. Nothing is written before every
 * check has passed, so a refused plugin leaves no trace.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { checkAbiSupport } from '../plugins/abi-support.js';
import { MANIFEST_FILE, type PluginManifest, parseManifest } from '../plugins/manifest.js';
import {
  type ArtifactFile,
  assertSafeFileName,
  checkFilesAgainstConfig,
  layerFiles,
  MAX_LAYER_BYTES,
} from './artifact.js';
import { addedCapabilities, describeCapabilities } from './capabilities.js';
import {
  assertFrozen,
  DEFAULT_PLUGINS_DIR,
  type LockEntry,
  type LockFile,
  PROVENANCE_DIR,
  readLock,
  writeLock,
} from './lock.js';
import { sha256Digest } from './oci-client.js';
import type { Candidate } from './resolve.js';

export interface InstallContext {
  projectDir: string;
  /** Absolute; default <projectDir>/dativo-plugins. */
  pluginsDir?: string | undefined;
  yes: boolean;
  frozen: boolean;
  /** Asks the user (TTY); undefined when there is no terminal to ask. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  log: (line: string) => void;
}

export function pluginsDirOf(ctx: Pick<InstallContext, 'projectDir' | 'pluginsDir'>): string {
  return ctx.pluginsDir ?? path.join(ctx.projectDir, DEFAULT_PLUGINS_DIR);
}

export async function downloadFiles(cand: Candidate): Promise<ArtifactFile[]> {
  const where = `${cand.plugin.name}@${cand.version}`;
  const layers = layerFiles(cand.fetched.manifest, cand.plugin, where);
  const files: ArtifactFile[] = [];
  for (const layer of layers) {
    files.push({
      name: layer.name,
      mediaType: layer.mediaType,
      bytes: await cand.store.blob(layer, MAX_LAYER_BYTES),
    });
  }
  checkFilesAgainstConfig(cand.plugin, files, where);
  return files;
}

/**
 * The capability prompt. A fresh install shows everything requested; an update that asks for
 * nothing new passes without asking; anything else needs --yes or a "y" at the terminal.
 */
export async function approve(
  plugin: PluginManifest,
  previous: LockEntry | undefined,
  ctx: InstallContext,
): Promise<void> {
  const label = `${plugin.name}@${plugin.version}`;
  const added = previous
    ? addedCapabilities(previous.capabilities as PluginManifest['capabilities'], plugin.capabilities)
    : undefined;
  if (added && added.length === 0) return;
  const lines = added
    ? [`${label} asks for more than ${previous?.version} was allowed:`, ...added.map((a) => `  + ${a}`)]
    : [`${label} requests:`, ...describeCapabilities(plugin.capabilities).map((l) => `  ${l}`)];
  for (const l of lines) ctx.log(l);
  if (ctx.yes) return;
  if (ctx.confirm && (await ctx.confirm(`Allow ${label} these capabilities? [y/N] `))) return;
  throw new DativoError(
    'PLUGIN_DENIED',
    `${label}: the requested capabilities were not approved; nothing was installed (rerun with --yes to approve them)`,
    { location: { plugin: plugin.name } },
  );
}

function sha256Hex(bytes: Uint8Array): string {
  return sha256Digest(bytes).slice('sha256:'.length);
}

/** Write the plugin folder next to its final place, then swap it in with renames. */
export function writePluginFolder(
  pluginsDir: string,
  name: string,
  files: ArtifactFile[],
  provenance: { manifest?: Buffer; signature?: string },
): string {
  mkdirSync(pluginsDir, { recursive: true });
  const final = path.join(pluginsDir, name);
  const tmp = path.join(pluginsDir, `.tmp-${name}-${randomBytes(6).toString('hex')}`);
  mkdirSync(path.join(tmp, PROVENANCE_DIR), { recursive: true });
  try {
    for (const f of files) {
      assertSafeFileName(f.name, name);
      writeFileSync(path.join(tmp, f.name), f.bytes);
    }
    if (provenance.manifest)
      writeFileSync(path.join(tmp, PROVENANCE_DIR, 'manifest.json'), provenance.manifest);
    if (provenance.signature)
      writeFileSync(path.join(tmp, PROVENANCE_DIR, 'signature.minisig'), provenance.signature);
    const old = existsSync(final) ? `${tmp}.old` : undefined;
    if (old) renameSync(final, old);
    renameSync(tmp, final);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return final;
}

export interface InstallRecord {
  source: LockEntry['source'];
  location: string;
  range: string;
  digest: string;
  keyId?: string;
}

/** Approve, check --frozen, write the folder, then the lock (the lock names only complete folders). */
export async function installFiles(
  plugin: PluginManifest,
  files: ArtifactFile[],
  record: InstallRecord,
  provenance: { manifest?: Buffer; signature?: string },
  ctx: InstallContext,
): Promise<LockEntry> {
  const before = readLock(ctx.projectDir);
  const previous = before.plugins[plugin.name];
  const pluginsDir = pluginsDirOf(ctx);
  const entry: LockEntry = {
    version: plugin.version,
    range: record.range,
    source: record.source,
    location: record.location,
    digest: record.digest,
    abi: plugin.abi,
    ...(record.keyId ? { key_id: record.keyId } : {}),
    capabilities: plugin.capabilities as Record<string, unknown>,
    path: path.relative(ctx.projectDir, path.join(pluginsDir, plugin.name)) || '.',
    files: Object.fromEntries(files.map((f) => [f.name, sha256Hex(f.bytes)])),
  };
  const after: LockFile = { ...before, plugins: { ...before.plugins, [plugin.name]: entry } };
  assertFrozen(before, after, ctx.frozen, ctx.projectDir);
  await approve(plugin, previous, ctx);
  writePluginFolder(pluginsDir, plugin.name, files, provenance);
  writeLock(ctx.projectDir, after);
  return entry;
}

export async function installCandidate(
  cand: Candidate,
  range: string,
  ctx: InstallContext,
): Promise<LockEntry> {
  for (const w of cand.warnings) ctx.log(`warning: ${w}`);
  const files = await downloadFiles(cand);
  return installFiles(
    cand.plugin,
    files,
    {
      source: cand.store.kind,
      location: cand.store.location,
      range,
      digest: cand.fetched.digest,
      keyId: cand.keyId,
    },
    { manifest: cand.fetched.bytes, signature: cand.signature },
    ctx,
  );
}

/** Development install from a plugin folder: unsigned, recorded as `source: dir`. */
export async function installFromDir(
  dir: string,
  ctx: InstallContext,
): Promise<LockEntry & { name: string }> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new DativoError('CONFIG_NOT_FOUND', `${dir} has no ${MANIFEST_FILE}`);
  const text = readFileSync(manifestPath);
  const plugin = parseManifest(text.toString('utf8'), manifestPath);
  const verdict = checkAbiSupport(plugin.abi, plugin.name);
  if (verdict.warning) ctx.log(`warning: ${verdict.warning}`);
  assertSafeFileName(plugin.entry.file, plugin.name);
  const files: ArtifactFile[] = [
    { name: MANIFEST_FILE, mediaType: '', bytes: text },
    { name: plugin.entry.file, mediaType: '', bytes: readFileSync(path.join(dir, plugin.entry.file)) },
  ];
  if (existsSync(path.join(dir, 'README.md')))
    files.push({ name: 'README.md', mediaType: '', bytes: readFileSync(path.join(dir, 'README.md')) });
  checkFilesAgainstConfig(plugin, files, dir);
  ctx.log(`warning: ${plugin.name} is installed from a folder, unsigned (for development)`);
  const entry = await installFiles(
    plugin,
    files,
    { source: 'dir', location: path.resolve(dir), range: plugin.version, digest: sha256Digest(text) },
    {},
    ctx,
  );
  return { name: plugin.name, ...entry };
}

/** `plugin remove NAME`: the lock entry first (so no job resolves a half-removed folder), then the folder. */
export function removePlugin(name: string, ctx: InstallContext): LockEntry {
  const before = readLock(ctx.projectDir);
  const entry = before.plugins[name];
  if (!entry)
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `plugin ${name} is not installed (not in ${ctx.projectDir}/dativo.lock)`,
    );
  const plugins = { ...before.plugins };
  delete plugins[name];
  const after: LockFile = { ...before, plugins };
  assertFrozen(before, after, ctx.frozen, ctx.projectDir);
  writeLock(ctx.projectDir, after);
  rmSync(path.resolve(ctx.projectDir, entry.path), { recursive: true, force: true });
  return entry;
}
