/**
 * A component becomes JavaScript bindings plus core modules through jco's transpile, once per
 * component: the result is cached by the component's sha256 (already checked against the
 * manifest) and the transpiler's version, under `$DATIVO_CACHE_DIR` (default
 * `$XDG_CACHE_HOME/dativo`, `~/.cache/dativo`), in `components/<sha256>-<version>/`. A first start
 * costs seconds (a 12 MB StarlingMonkey component); every later one reads the folder.
 *
 * The bindings are generated in "async instantiation" mode without WASI shims: they import
 * nothing, and every interface the component uses must be handed in by the host (worker.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DativoError } from '../../errors.js';
import { type ComponentShape, parseWorldShape } from './world.js';

export const BINDINGS_FILE = 'plugin.mjs';
const SHAPE_FILE = 'shape.json';

export interface TranspiledComponent {
  dir: string;
  /** The bindings module (exports `instantiate`). */
  bindings: string;
  /** Core module files, by the name the bindings ask for. */
  cores: string[];
  shape: ComponentShape;
}

export function dativoCacheDir(): string {
  if (process.env.DATIVO_CACHE_DIR) return path.resolve(process.env.DATIVO_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'dativo');
}

function transpilerVersion(): string {
  // Its package.json is not in its `exports`: found from the entry point (dist/index.js).
  const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco-transpile');
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  return (pkg as { version: string }).version;
}

function readCached(dir: string): TranspiledComponent | undefined {
  const shapeFile = path.join(dir, SHAPE_FILE);
  if (!existsSync(shapeFile)) return undefined;
  const shape = JSON.parse(readFileSync(shapeFile, 'utf8')) as ComponentShape;
  const cores = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  return { dir, bindings: path.join(dir, BINDINGS_FILE), cores, shape };
}

/** The transpiled form of `bytes` (whose sha256 is `sha256`), from the cache or made now. */
export async function transpileComponent(
  plugin: string,
  bytes: Uint8Array,
  sha256: string,
): Promise<TranspiledComponent> {
  const root = path.join(dativoCacheDir(), 'components');
  const dir = path.join(root, `${sha256}-${transpilerVersion()}`);
  const cached = readCached(dir);
  if (cached) return cached;
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  let out: Awaited<ReturnType<typeof transpileBytes>>;
  let shape: ComponentShape;
  try {
    // The world as WIT (with interface versions, which the bindings' import names drop).
    shape = parseWorldShape(await componentWit(bytes));
    out = await transpileBytes(bytes, {
      name: 'plugin',
      instantiation: 'async',
      wasiShim: false,
      noComponentErrorWrapping: false,
    });
  } catch (e) {
    throw new DativoError(
      'PLUGIN_ERROR',
      `plugin ${plugin}: not a valid WebAssembly component: ${e instanceof Error ? e.message : String(e)}`,
      { location: { plugin } },
    );
  }
  // Written beside, then renamed: a concurrent start or a crash never leaves half a cache entry.
  mkdirSync(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp);
  for (const [name, data] of Object.entries(out.files)) {
    if (name.endsWith('.wasm')) writeFileSync(path.join(tmp, name), data);
    else if (name === 'plugin.js') writeFileSync(path.join(tmp, BINDINGS_FILE), data);
  }
  writeFileSync(path.join(tmp, SHAPE_FILE), JSON.stringify(shape));
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process made it first
  }
  const made = readCached(dir);
  if (!made)
    throw new DativoError('INTERNAL', `plugin ${plugin}: could not write the component cache ${dir}`);
  return made;
}
