/**
 * Checking installed plugins against dativo.lock: every file re-hashed (a changed, missing or extra
 * file is named), and for signed installs the stored manifest's digest and its signature checked
 * against the keys trusted now (so revoking a key fails every plugin it signed). Jobs that name an
 * installed plugin (`plugin: {name: NAME@RANGE}`) go through `resolveInstalledPlugin` first.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { DativoError } from '../errors.js';
import { findProject, LOCK_FILE, type LockEntry, PROVENANCE_DIR, readLock } from './lock.js';
import { sha256Digest } from './oci-client.js';
import { type TrustSet, verifyTrusted } from './trust.js';

/** Problems with one installed plugin's files (empty when every file matches the lock). */
export function fileProblems(projectDir: string, name: string, entry: LockEntry): string[] {
  const dir = path.resolve(projectDir, entry.path);
  if (!existsSync(dir)) return [`${name}: folder ${dir} is missing`];
  const problems: string[] = [];
  for (const [file, hash] of Object.entries(entry.files)) {
    const full = path.join(dir, file);
    if (!existsSync(full)) {
      problems.push(`${name}: ${full} is missing`);
      continue;
    }
    const actual = createHash('sha256').update(readFileSync(full)).digest('hex');
    if (actual !== hash)
      problems.push(`${name}: ${full} was modified (sha256 ${actual}, the lock says ${hash})`);
  }
  for (const file of readdirSync(dir)) {
    if (file !== PROVENANCE_DIR && !(file in entry.files)) {
      problems.push(`${name}: ${path.join(dir, file)} is not in the lock`);
    }
  }
  return problems;
}

function signatureProblems(projectDir: string, name: string, entry: LockEntry, trust: TrustSet): string[] {
  if (!entry.key_id) return [];
  const dir = path.resolve(projectDir, entry.path, PROVENANCE_DIR);
  const manifestFile = path.join(dir, 'manifest.json');
  const sigFile = path.join(dir, 'signature.minisig');
  if (!existsSync(manifestFile) || !existsSync(sigFile))
    return [`${name}: its signed manifest is missing from ${dir}`];
  const manifest = readFileSync(manifestFile);
  if (sha256Digest(manifest) !== entry.digest)
    return [`${name}: ${manifestFile} is not the manifest the lock names`];
  const layers = (
    JSON.parse(manifest.toString('utf8')) as {
      layers: Array<{ digest: string; annotations?: Record<string, string> }>;
    }
  ).layers;
  const problems: string[] = [];
  for (const layer of layers) {
    const file = layer.annotations?.['org.opencontainers.image.title'] ?? '';
    if (`sha256:${entry.files[file]}` !== layer.digest)
      problems.push(`${name}: the lock's hash of ${file} is not the signed one`);
  }
  try {
    verifyTrusted(manifest, readFileSync(sigFile, 'utf8'), trust, `${name}@${entry.version}`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}

/** `dativo plugin verify`: every problem of every installed plugin. */
export function verifyInstalled(
  projectDir: string,
  trust: TrustSet,
): { checked: string[]; problems: string[] } {
  const lock = readLock(projectDir);
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(lock.plugins)) {
    problems.push(
      ...fileProblems(projectDir, name, entry),
      ...signatureProblems(projectDir, name, entry, trust),
    );
  }
  return { checked: Object.keys(lock.plugins).sort(), problems };
}

/**
 * A job's `plugin.name` ("csv-reader@^1.2") → the installed folder, after checking the locked
 * version satisfies the range and every file still has the locked hash. Looks for dativo.lock from
 * the job's folder upwards, then from the working directory.
 */
export function resolveInstalledPlugin(spec: string, jobDir: string, cwd = process.cwd()): string {
  const at = spec.indexOf('@', 1);
  const name = at < 0 ? spec : spec.slice(0, at);
  const range = at < 0 ? '*' : spec.slice(at + 1);
  const install = `dativo plugin install ${spec}`;
  const project = [findProject(jobDir), findProject(cwd)].find((p) => p.exists);
  if (!project) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `plugin ${name} is not installed: no ${LOCK_FILE} found above ${jobDir}; run ${install}`,
      {
        location: { plugin: name },
      },
    );
  }
  const lockFile = path.join(project.dir, LOCK_FILE);
  const entry = readLock(project.dir).plugins[name];
  if (!entry) {
    throw new DativoError('CONFIG_NOT_FOUND', `plugin ${name} is not in ${lockFile}; run ${install}`, {
      location: { plugin: name },
    });
  }
  if (!semver.satisfies(entry.version, range)) {
    throw new DativoError(
      'CONFIG_INVALID',
      `${lockFile} has ${name}@${entry.version}, which does not satisfy ${range}; run ${install}`,
      {
        location: { plugin: name },
      },
    );
  }
  const problems = fileProblems(project.dir, name, entry);
  if (problems.length > 0) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `installed plugin refused: ${problems.join('; ')} (reinstall it with ${install})`,
      {
        location: { plugin: name },
      },
    );
  }
  return path.resolve(project.dir, entry.path);
}
