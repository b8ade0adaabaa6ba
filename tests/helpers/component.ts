/**
 * TypeScript test plugins built into components once per content: componentizing takes seconds to
 * minutes (a 12 MB StarlingMonkey component), so a fixture folder is built into
 * `.run/components/<hash>/`, keyed by its files, the TS PDK, the WIT and the toolchain versions,
 * and reused by every later test run until one of those changes.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { buildComponentPlugin } from '../../host/plugin-dev/component-build.js';
import { MANIFEST_FILE, parseManifest } from '../../host/plugins/manifest.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = path.join(dir, f);
      if (f === 'node_modules' || f.endsWith('.wasm')) return [];
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
}

function contentHash(fixture: string): string {
  const h = createHash('sha256');
  const inputs = [
    ...filesUnder(fixture),
    ...filesUnder(path.join(ROOT, 'plugin-pdk', 'ts', 'src')),
    path.join(ROOT, 'wit', 'dativo-plugin.wit'),
    path.join(ROOT, 'node_modules', '@bytecodealliance', 'componentize-js', 'package.json'),
    path.join(ROOT, 'node_modules', 'esbuild', 'package.json'),
  ];
  for (const f of inputs) h.update(path.relative(ROOT, f)).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** The built copy of a fixture plugin folder (manifest with the component's sha256). */
export async function builtComponent(fixture: string): Promise<string> {
  const runDir = process.env.DATIVO_RUN_DIR ?? path.join(ROOT, '.run');
  const dir = path.join(runDir, 'components', `${path.basename(fixture)}-${contentHash(fixture)}`);
  const manifest = path.join(dir, MANIFEST_FILE);
  if (existsSync(manifest)) {
    const m = parseManifest(readFileSync(manifest, 'utf8'), manifest);
    if (existsSync(path.join(dir, m.entry.file))) return dir;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.dirname(tmp), { recursive: true });
  cpSync(fixture, tmp, { recursive: true });
  await buildComponentPlugin(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
