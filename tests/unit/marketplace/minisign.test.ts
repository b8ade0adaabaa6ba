import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  keyIdHex,
  normalizeKeyId,
  parsePublicKey,
  parseSecretKey,
  scryptParams,
  signMessage,
  verifyMessage,
} from '../../../host/marketplace/minisign.js';

const kp = generateKeyPair();
const sk = parseSecretKey(kp.secretKey, undefined);
const pk = parsePublicKey(kp.publicKey);
const message = Buffer.from('{"schemaVersion":2}');

describe('minisign format', () => {
  it('writes key files minisign reads: RW… public key, key id in the comment', () => {
    expect(kp.publicKey).toMatch(
      new RegExp(`^untrusted comment: minisign public key ${kp.keyId}\\nRW[A-Za-z0-9+/=]{54}\\n$`),
    );
    expect(keyIdHex(pk.keyId)).toBe(kp.keyId);
    expect(pk.key.equals(sk.key)).toBe(true);
  });

  it('signs in the prehashed form ("ED") and verifies, returning the trusted comment', () => {
    const sig = signMessage(sk, message, 'dativo-plugin x@1.0.0');
    expect(
      Buffer.from(sig.split('\n')[1] ?? '', 'base64')
        .subarray(0, 2)
        .toString(),
    ).toBe('ED');
    expect(verifyMessage(pk, message, sig).trustedComment).toBe('dativo-plugin x@1.0.0');
  });

  it('refuses other content, an altered trusted comment, and another key', () => {
    const sig = signMessage(sk, message, 'tc');
    expect(() => verifyMessage(pk, Buffer.from('other'), sig)).toThrow('does not match the content');
    const altered = sig.replace('trusted comment: tc', 'trusted comment: tc2');
    expect(() => verifyMessage(pk, message, altered)).toThrow('trusted comment');
    const other = parsePublicKey(generateKeyPair().publicKey);
    expect(() => verifyMessage(other, message, sig)).toThrow(`signed by key ${kp.keyId}`);
  });

  it("picks libsodium's scrypt parameters for minisign's default limits (N=2^20, r=8, p=1)", () => {
    expect(scryptParams(33_554_432, 1_073_741_824)).toEqual({ N: 2 ** 20, r: 8, p: 1 });
    expect(scryptParams(524_288, 16_777_216)).toEqual({ N: 2 ** 14, r: 8, p: 1 });
  });

  it('refuses a corrupted secret key and a file that is not a key', () => {
    const lines = kp.secretKey.split('\n');
    const raw = Buffer.from(lines[1] ?? '', 'base64');
    raw[100] = (raw[100] ?? 0) ^ 1;
    expect(() => parseSecretKey(`${lines[0]}\n${raw.toString('base64')}\n`, undefined, 'k.key')).toThrow(
      'k.key: the key checksum does not match',
    );
    expect(() => parsePublicKey('hello', 'x.pub')).toThrow('x.pub: not a minisign public key');
  });

  it('reads a key id as minisign prints it, without its leading zeros', () => {
    expect(normalizeKeyId('33674c5484d638e')).toBe('033674C5484D638E');
    expect(normalizeKeyId('033674C5484D638E')).toBe('033674C5484D638E');
    expect(normalizeKeyId('not-hex')).toBeUndefined();
    expect(normalizeKeyId('1033674C5484D638E')).toBeUndefined();
  });
});
