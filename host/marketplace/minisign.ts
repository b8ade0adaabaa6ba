/**
 * Ed25519 keys and signatures in minisign's file formats, so publishers can use the Debian
 * `minisign` tool and anyone can check our signatures with `minisign -V`.
 *
 * Formats (https://jedisct1.github.io/minisign/):
 *   public key  = "Ed" | key id (8) | public key (32)
 *   secret key  = "Ed" | kdf ("Sc" scrypt or "\0\0" none) | "B2" | salt (32) | opslimit (u64 le) |
 *                 memlimit (u64 le) | [key id (8) | secret key (64) | checksum (32)] (xor scrypt stream when encrypted)
 *   checksum    = BLAKE2b-256("Ed" | key id | secret key)
 *   signature   = "ED" | key id | Ed25519(BLAKE2b-512(message))   (the prehashed form, minisign's default)
 *   global sig  = Ed25519(signature | trusted comment)
 * Node's crypto does Ed25519, BLAKE2b-512 and scrypt; only the 32-byte BLAKE2b of the checksum
 * needs @noble/hashes (OpenSSL exposes BLAKE2b with a fixed 64-byte output only).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  scryptSync,
  sign,
  verify,
} from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2b';
import { DativoError } from '../errors.js';

const ED = Buffer.from('Ed');
const PREHASHED = Buffer.from('ED');
const KDF_SCRYPT = Buffer.from('Sc');
const KDF_NONE = Buffer.from([0, 0]);
const CHK_BLAKE2 = Buffer.from('B2');
/** libsodium's crypto_pwhash_scryptsalsa208sha256 OPSLIMIT/MEMLIMIT_SENSITIVE, what `minisign -G` writes. */
const DEFAULT_OPSLIMIT = 33_554_432;
const DEFAULT_MEMLIMIT = 1_073_741_824;
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export interface PublicKey {
  /** 8 bytes, as stored in the files. */
  keyId: Buffer;
  key: Buffer;
}

export interface SecretKey extends PublicKey {
  /** libsodium layout: seed (32) | public key (32). */
  secret: Buffer;
}

export interface Signature {
  keyId: Buffer;
  trustedComment: string;
}

/**
 * The key id: the 8 bytes read as a little-endian u64, upper-case hex, always 16 digits. minisign
 * itself drops leading zeros (`%PRIX64`), so ids typed by users go through `normalizeKeyId`.
 */
export function keyIdHex(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/** A key id as a user may type it (minisign prints `33674C5484D638E` for `033674C5484D638E`), or undefined. */
export function normalizeKeyId(text: string): string | undefined {
  const id = text.trim().toUpperCase();
  return /^[0-9A-F]{1,16}$/.test(id) ? id.padStart(16, '0') : undefined;
}

function keyError(file: string, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', `${file}: ${message}`, { location: { file } });
}

/** The base64 payload lines of a minisign file (the lines that are not comments). */
function payloadLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('untrusted comment:') && !l.startsWith('trusted comment:'));
}

export function parsePublicKey(text: string, file = 'public key'): PublicKey {
  const line = payloadLines(text)[0];
  const raw = line ? Buffer.from(line, 'base64') : Buffer.alloc(0);
  if (raw.length !== 42 || !raw.subarray(0, 2).equals(ED)) {
    throw keyError(file, 'not a minisign public key (expected a base64 line starting with "RW")');
  }
  return { keyId: raw.subarray(2, 10), key: raw.subarray(10, 42) };
}

export function formatPublicKey(pk: PublicKey): string {
  const raw = Buffer.concat([ED, pk.keyId, pk.key]);
  return `untrusted comment: minisign public key ${keyIdHex(pk.keyId)}\n${raw.toString('base64')}\n`;
}

/** libsodium's scrypt parameter choice (pickparams) for an opslimit/memlimit pair. */
export function scryptParams(opslimit: number, memlimit: number): { N: number; r: number; p: number } {
  const ops = Math.max(opslimit, 32_768);
  const r = 8;
  let nLog2 = 1;
  let p: number;
  if (ops < memlimit / 32) {
    p = 1;
    const maxN = ops / (r * 4);
    while (nLog2 < 63 && 2 ** nLog2 <= maxN / 2) nLog2++;
  } else {
    const maxN = memlimit / (r * 128);
    while (nLog2 < 63 && 2 ** nLog2 <= maxN / 2) nLog2++;
    const maxrp = Math.min(Math.floor(ops / 4 / 2 ** nLog2), 0x3fffffff);
    p = Math.max(1, Math.floor(maxrp / r));
  }
  return { N: 2 ** nLog2, r, p };
}

function scryptStream(password: string, salt: Buffer, opslimit: number, memlimit: number): Buffer {
  const { N, r, p } = scryptParams(opslimit, memlimit);
  return scryptSync(Buffer.from(password, 'utf8'), salt, 104, {
    N,
    r,
    p,
    maxmem: 128 * N * r * p + 64 * 1024 * 1024,
  });
}

function checksum(keyId: Buffer, secret: Buffer): Buffer {
  return Buffer.from(blake2b(Buffer.concat([ED, keyId, secret]), { dkLen: 32 }));
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** Whether a secret key file needs a password (scrypt-encrypted, as `minisign -G` writes by default). */
export function isEncryptedSecretKey(text: string): boolean {
  const line = payloadLines(text)[0];
  return line !== undefined && Buffer.from(line, 'base64').subarray(2, 4).equals(KDF_SCRYPT);
}

export function parseSecretKey(text: string, password: string | undefined, file = 'secret key'): SecretKey {
  const line = payloadLines(text)[0];
  const raw = line ? Buffer.from(line, 'base64') : Buffer.alloc(0);
  if (raw.length !== 158 || !raw.subarray(0, 2).equals(ED) || !raw.subarray(4, 6).equals(CHK_BLAKE2)) {
    throw keyError(file, 'not a minisign secret key');
  }
  const kdf = raw.subarray(2, 4);
  const salt = raw.subarray(6, 38);
  let keynum: Buffer = raw.subarray(54, 158);
  if (kdf.equals(KDF_SCRYPT)) {
    if (password === undefined)
      throw keyError(file, 'the key is password-protected and no password was given');
    const ops = Number(raw.readBigUInt64LE(38));
    const mem = Number(raw.readBigUInt64LE(46));
    keynum = xor(keynum, scryptStream(password, salt, ops, mem));
  } else if (!kdf.equals(KDF_NONE)) {
    throw keyError(file, `unsupported key derivation "${kdf.toString('latin1')}"`);
  }
  const keyId = keynum.subarray(0, 8);
  const secret = keynum.subarray(8, 72);
  const chk = keynum.subarray(72, 104);
  // minisign 0.11 leaves the checksum of an unencrypted (-W) key zeroed; the seed/public-key check covers it.
  const unchecked = kdf.equals(KDF_NONE) && chk.every((b) => b === 0);
  if (!unchecked && !checksum(keyId, secret).equals(chk)) {
    throw keyError(
      file,
      kdf.equals(KDF_SCRYPT) ? 'wrong password for this key' : 'the key checksum does not match',
    );
  }
  const sk = {
    keyId: Buffer.from(keyId),
    secret: Buffer.from(secret),
    key: Buffer.from(secret.subarray(32, 64)),
  };
  if (!publicOf(sk).equals(sk.key))
    throw keyError(file, 'the secret key is corrupt (its two halves disagree)');
  return sk;
}

/** A new key pair; with a password the secret key is scrypt-encrypted with minisign's default cost. */
export function generateKeyPair(password?: string): { secretKey: string; publicKey: string; keyId: string } {
  const seed = randomBytes(32);
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  const keyId = randomBytes(8);
  const secret = Buffer.concat([seed, pub]);
  const salt = randomBytes(32);
  let keynum: Buffer = Buffer.concat([keyId, secret, checksum(keyId, secret)]);
  if (password !== undefined)
    keynum = xor(keynum, scryptStream(password, salt, DEFAULT_OPSLIMIT, DEFAULT_MEMLIMIT));
  const limits = Buffer.alloc(16);
  limits.writeBigUInt64LE(BigInt(DEFAULT_OPSLIMIT), 0);
  limits.writeBigUInt64LE(BigInt(DEFAULT_MEMLIMIT), 8);
  const raw = Buffer.concat([
    ED,
    password !== undefined ? KDF_SCRYPT : KDF_NONE,
    CHK_BLAKE2,
    salt,
    limits,
    keynum,
  ]);
  const comment = password !== undefined ? 'minisign encrypted secret key' : 'minisign secret key';
  return {
    secretKey: `untrusted comment: ${comment}\n${raw.toString('base64')}\n`,
    publicKey: formatPublicKey({ keyId, key: pub }),
    keyId: keyIdHex(keyId),
  };
}

function publicOf(sk: SecretKey): Buffer {
  return createPublicKey(privateKeyObject(sk))
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_ED25519.length);
}

function privateKeyObject(sk: SecretKey) {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, sk.secret.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
}

function publicKeyObject(pk: PublicKey) {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, pk.key]), format: 'der', type: 'spki' });
}

/** A .minisig file for `message`: prehashed Ed25519, with a trusted comment that is signed too. */
export function signMessage(sk: SecretKey, message: Uint8Array, trustedComment: string): string {
  if (/[\r\n]/.test(trustedComment)) throw new Error('a trusted comment is one line');
  const digest = createHash('blake2b512').update(message).digest();
  const sig = sign(null, digest, privateKeyObject(sk));
  const global = sign(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), privateKeyObject(sk));
  const sigLine = Buffer.concat([PREHASHED, sk.keyId, sig]).toString('base64');
  return (
    `untrusted comment: signature from dativo secret key ${keyIdHex(sk.keyId)}\n${sigLine}\n` +
    `trusted comment: ${trustedComment}\n${global.toString('base64')}\n`
  );
}

/** The key id a .minisig names, before any verification (to pick the trusted key to check it with). */
export function signatureKeyId(text: string): Buffer {
  const line = payloadLines(text)[0];
  const raw = line ? Buffer.from(line, 'base64') : Buffer.alloc(0);
  if (raw.length !== 74) throw new DativoError('PLUGIN_DENIED', 'the signature is not a minisign signature');
  return raw.subarray(2, 10);
}

/**
 * Check a .minisig against a message and a public key: the key id, the signature over the
 * message (prehashed "ED"; the legacy "Ed" form is refused) and the signature over the trusted comment.
 * Returns the trusted comment; throws PLUGIN_DENIED naming what failed.
 */
export function verifyMessage(pk: PublicKey, message: Uint8Array, text: string): Signature {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const sigRaw = Buffer.from(lines[1] ?? '', 'base64');
  const tcLine = lines[2] ?? '';
  const global = Buffer.from(lines[3] ?? '', 'base64');
  if (sigRaw.length !== 74 || !tcLine.startsWith('trusted comment: ') || global.length !== 64) {
    throw new DativoError('PLUGIN_DENIED', 'the signature is not a minisign signature');
  }
  if (!sigRaw.subarray(0, 2).equals(PREHASHED)) {
    throw new DativoError('PLUGIN_DENIED', 'the signature is not prehashed (minisign "ED"); re-sign it');
  }
  const keyId = sigRaw.subarray(2, 10);
  if (!keyId.equals(pk.keyId)) {
    throw new DativoError('PLUGIN_DENIED', `signed by key ${keyIdHex(keyId)}, not by ${keyIdHex(pk.keyId)}`);
  }
  const sig = sigRaw.subarray(10);
  const key = publicKeyObject(pk);
  const digest = createHash('blake2b512').update(message).digest();
  if (!verify(null, digest, key, sig)) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `the signature by key ${keyIdHex(keyId)} does not match the content`,
    );
  }
  const trustedComment = tcLine.slice('trusted comment: '.length);
  if (!verify(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), key, global)) {
    throw new DativoError(
      'PLUGIN_DENIED',
      `the trusted comment of the signature by key ${keyIdHex(keyId)} was altered`,
    );
  }
  return { keyId: Buffer.from(keyId), trustedComment };
}
