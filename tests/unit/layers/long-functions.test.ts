/**
 * Functions of 100+ lines in host/ are lint errors (Biome's noExcessiveLinesPerFunction, set in
 * biome.json; `npm run lint` and `npm run long-functions` report them) unless a
 * `biome-ignore … long: <why>` comment says why. Checked on throw-away files under a copy of the
 * repo's biome.json, with the repo's Biome.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const BIOME = path.join(REPO, 'node_modules/@biomejs/biome/bin/biome');
const MARK = '// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: a reason';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-long-'));
  await copyFile(path.join(REPO, 'biome.json'), path.join(tmp, 'biome.json'));
  await mkdir(path.join(tmp, 'host'));
  await mkdir(path.join(tmp, 'tests'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A function spanning `lines` lines in all, signature and closing brace included. */
function fn(lines: number, mark = false): string {
  const body = Array.from({ length: lines - 3 }, (_, i) => `  a += ${i};`);
  return [
    ...(mark ? [MARK] : []),
    'export function f(): number {',
    '  let a = 0;',
    ...body.slice(1),
    '  return a;',
    '}',
    '',
  ].join('\n');
}

/** The long-function diagnostics Biome reports for one file at `rel`. */
async function longIn(rel: string, text: string): Promise<string[]> {
  await writeFile(path.join(tmp, rel), text);
  const out = await new Promise<string>((resolve) => {
    execFile(process.execPath, [BIOME, 'lint', '--colors=off', rel], { cwd: tmp }, (_err, stdout, stderr) =>
      resolve(stdout + stderr),
    );
  });
  return out.split('\n').filter((l) => l.includes('lint/complexity/noExcessiveLinesPerFunction'));
}

describe('long functions in host/', () => {
  it('flags a function of 100 lines', async () => {
    expect(await longIn('host/a.ts', fn(100))).toHaveLength(1);
  }, 60_000);

  it('accepts a function of 99 lines', async () => {
    expect(await longIn('host/b.ts', fn(99))).toEqual([]);
  }, 60_000);

  it('accepts a long function with a long: comment', async () => {
    expect(await longIn('host/c.ts', fn(150, true))).toEqual([]);
  }, 60_000);

  it('does not apply outside host/', async () => {
    expect(await longIn('tests/d.ts', fn(150))).toEqual([]);
  }, 60_000);
});
