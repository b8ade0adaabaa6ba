// Generates the TypeScript guest types of wit/dativo-plugin.wit (worlds reader and writer) with
// jco into plugin-pdk/ts/wit/. With --check it generates into a temporary folder and fails when
// the WIT does not parse or the committed types differ: the CI step that keeps the WIT usable.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const committed = path.join(root, 'plugin-pdk/ts/wit');
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(path.join(os.tmpdir(), 'dativo-wit-')) : committed;
const jco = path.join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js');
const preopen = path.join(root, 'scripts/wasi-preopen.mjs');

function files(dir, base = dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

try {
  for (const world of ['reader', 'writer']) {
    execFileSync(
      process.execPath,
      [
        '--import',
        preopen,
        jco,
        'guest-types',
        path.join(root, 'wit'),
        '--world-name',
        world,
        '-o',
        path.join(out, world),
        '-q',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  if (check) {
    const want = files(out).sort();
    const have = files(committed).sort();
    const differ = [...new Set([...want, ...have])].filter((f) => {
      try {
        return !readFileSync(path.join(out, f)).equals(readFileSync(path.join(committed, f)));
      } catch {
        return true;
      }
    });
    if (differ.length > 0) {
      console.error(`wit: plugin-pdk/ts/wit is out of date (${differ.join(', ')}); run npm run wit:types`);
      process.exit(1);
    }
    console.log(`wit: dativo-plugin.wit parses (worlds reader, writer); ${want.length} type files match`);
  }
} catch (e) {
  console.error(`wit: jco could not generate types from wit/: ${e.message}`);
  process.exit(1);
} finally {
  if (check) rmSync(out, { recursive: true, force: true });
}
