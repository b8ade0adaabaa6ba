import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createLocalStore } from '../../../host/sinks/store/local.js';
import { deletePrefix, ObjectNotFound, PreconditionFailed } from '../../../host/sinks/store/object-store.js';
import { listFiles, tempDir } from './helpers.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe('local object store', () => {
  test('putBytes / get / exists, with mkdir -p', async () => {
    const root = tempDir();
    const s = createLocalStore(root);
    await s.putBytes('a/b/c.json', bytes('{"x":1}'));
    expect(text(await s.get('a/b/c.json'))).toBe('{"x":1}');
    expect(await s.exists('a/b/c.json')).toBe(true);
    expect(await s.exists('a/b')).toBe(false); // directories are not objects
    expect(await s.get('a/missing.json')).toBeUndefined();
    expect(listFiles(root)).toEqual(['a/b/c.json']); // no temp file left behind
  });

  test('conditional create refuses an existing key and keeps the first content', async () => {
    const s = createLocalStore(tempDir());
    await s.putBytes('r/1.json', bytes('first'), { ifNoneMatch: true });
    const err = await s.putBytes('r/1.json', bytes('second'), { ifNoneMatch: true }).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionFailed);
    expect(err.message).toBe('object already exists: r/1.json');
    expect(text(await s.get('r/1.json'))).toBe('first');
    await s.putBytes('r/1.json', bytes('overwrite'));
    expect(text(await s.get('r/1.json'))).toBe('overwrite');
  });

  test('concurrent conditional creates: exactly one wins', async () => {
    const s = createLocalStore(tempDir());
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s.putBytes('race.json', bytes(`w${i}`), { ifNoneMatch: true })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof PreconditionFailed),
    ).toHaveLength(7);
  });

  test('list uses string-prefix semantics, sorted, across folders', async () => {
    const s = createLocalStore(tempDir());
    for (const k of ['x/2.txt', 'x/1.txt', 'x/sub/3.txt', 'xy/4.txt', 'y/5.txt'])
      await s.putBytes(k, bytes(k));
    expect(await s.list('x/')).toEqual(['x/1.txt', 'x/2.txt', 'x/sub/3.txt']);
    expect(await s.list('x')).toEqual(['x/1.txt', 'x/2.txt', 'x/sub/3.txt', 'xy/4.txt']);
    expect(await s.list('x/s')).toEqual(['x/sub/3.txt']);
    expect(await s.list('nope/')).toEqual([]);
    expect(await s.list('')).toHaveLength(5);
  });

  test('publish renames (creating folders), prunes the emptied source folder, and reports a missing source', async () => {
    const root = tempDir();
    const s = createLocalStore(root);
    await s.putBytes('stage/r1/f.part', bytes('data'));
    await s.publish('stage/r1/f.part', 'out/p=1/f.parquet');
    expect(listFiles(root)).toEqual(['out/p=1/f.parquet']);
    expect(fs.existsSync(path.join(root, 'stage'))).toBe(false);
    await expect(s.publish('stage/r1/f.part', 'out/p=1/f.parquet')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  test('putFile copies a local file durably and returns its size', async () => {
    const root = tempDir();
    const src = path.join(tempDir(), 'src.bin');
    fs.writeFileSync(src, Buffer.alloc(12345, 7));
    const s = createLocalStore(root);
    expect(await s.putFile('k/src.bin', src)).toEqual({ bytes: 12345 });
    expect((await s.get('k/src.bin'))?.byteLength).toBe(12345);
  });

  test('delete is idempotent; deletePrefix removes a folder of keys and the empty folders', async () => {
    const root = tempDir();
    const s = createLocalStore(root);
    await s.putBytes('keep.txt', bytes('k'));
    for (const k of ['_dativo/staging/r1/a', '_dativo/staging/r1/b/c']) await s.putBytes(k, bytes(k));
    await s.delete('missing');
    expect(await deletePrefix(s, '_dativo/staging/r1/')).toBe(2);
    expect(listFiles(root)).toEqual(['keep.txt']);
    expect(fs.existsSync(path.join(root, '_dativo'))).toBe(false);
    expect(fs.existsSync(root)).toBe(true);
  });

  test('keys that could escape the root are refused', async () => {
    const s = createLocalStore(tempDir());
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', 'a//b', 'a\\b', '']) {
      await expect(s.putBytes(bad, bytes('x'))).rejects.toThrow(/invalid object key/);
    }
    await expect(s.get('../x')).rejects.toThrow(/invalid object key/);
  });
});
