/**
 * Which publisher keys this user trusts: minisign public keys in a trust folder
 * (`$DATIVO_TRUST_DIR`, default `$XDG_CONFIG_HOME/dativo/trusted-keys`), one `<KEYID>.pub` each,
 * plus the keys given with `--trust` for one command. `trust --revoke KEYID` removes the key and
 * records its id in `revoked`, so a revoked key stays refused even when passed with --trust.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DativoError } from '../errors.js';
import {
  formatPublicKey,
  keyIdHex,
  normalizeKeyId,
  type PublicKey,
  parsePublicKey,
  signatureKeyId,
  verifyMessage,
} from './minisign.js';

export function trustDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATIVO_TRUST_DIR) return env.DATIVO_TRUST_DIR;
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'dativo', 'trusted-keys');
}

const REVOKED = 'revoked';

function revokedIds(dir: string): Set<string> {
  const file = path.join(dir, REVOKED);
  if (!existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split(/\s+/).filter(Boolean));
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readKeyFile(file: string): PublicKey {
  if (!existsSync(file)) throw new DativoError('CONFIG_NOT_FOUND', `key file ${file} does not exist`);
  return parsePublicKey(readFileSync(file, 'utf8'), file);
}

/** `dativo plugin trust KEYFILE`: copy the public key into the trust folder; returns its id. */
export function trustKey(file: string, dir = trustDir()): string {
  const key = readKeyFile(file);
  const id = keyIdHex(key.keyId);
  writeAtomic(path.join(dir, `${id}.pub`), formatPublicKey(key));
  const revoked = revokedIds(dir);
  if (revoked.delete(id)) writeAtomic(path.join(dir, REVOKED), [...revoked].join('\n'));
  return id;
}

/** `dativo plugin trust --revoke KEYID`. Returns whether the key was trusted before. */
export function revokeKey(keyId: string, dir = trustDir()): boolean {
  const id = normalizeKeyId(keyId);
  if (!id) throw new DativoError('CONFIG_INVALID', `"${keyId}" is not a key id (up to 16 hex digits)`);
  const file = path.join(dir, `${id}.pub`);
  const was = existsSync(file);
  rmSync(file, { force: true });
  const revoked = revokedIds(dir);
  revoked.add(id);
  writeAtomic(path.join(dir, REVOKED), [...revoked].join('\n'));
  return was;
}

export interface TrustSet {
  keys: Map<string, PublicKey>;
  revoked: Set<string>;
}

/** The trusted keys: the trust folder plus `--trust` files, minus revoked ids. */
export function loadTrust(extraKeyFiles: string[] = [], dir = trustDir()): TrustSet {
  const keys = new Map<string, PublicKey>();
  const revoked = revokedIds(dir);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.pub'))
        .map((f) => path.join(dir, f))
    : [];
  for (const file of [...files, ...extraKeyFiles]) {
    const key = readKeyFile(file);
    const id = keyIdHex(key.keyId);
    if (!revoked.has(id)) keys.set(id, key);
  }
  return { keys, revoked };
}

export function listTrusted(dir = trustDir()): string[] {
  return [...loadTrust([], dir).keys.keys()].sort();
}

/**
 * Verify a signature over `message` with a trusted key. Refusals name the key id and the way to
 * trust it; a revoked key is named as revoked.
 */
export function verifyTrusted(message: Uint8Array, signature: string, trust: TrustSet, what: string): string {
  let id: string;
  try {
    id = keyIdHex(signatureKeyId(signature));
  } catch {
    throw new DativoError('PLUGIN_DENIED', `${what}: the signature is not a minisign signature`);
  }
  if (trust.revoked.has(id))
    throw new DativoError('PLUGIN_DENIED', `${what} is signed by key ${id}, which was revoked`);
  const key = trust.keys.get(id);
  if (!key) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `${what} is signed by key ${id}, which is not trusted: check the publisher's key and run dativo plugin trust KEYFILE (or pass --trust KEYFILE)`,
    );
  }
  try {
    verifyMessage(key, message, signature);
  } catch (e) {
    throw new DativoError('PLUGIN_DENIED', `${what}: ${(e as Error).message}`);
  }
  return id;
}
