/**
 * `dativo plugin build DIR` for a TypeScript plugin (manifest `runtime: component`): esbuild
 * bundles `src/plugin.ts` with its npm dependencies (the plugin's node_modules first, then this
 * Dativo's, so apache-arrow and the PDK need no install), componentize-js turns the bundle into a
 * component of the manifest role's world, and the build then checks the component the way the
 * host will (world, version, imports) before it writes the sha256 into the manifest.
 *
 * What a component cannot have is refused here, naming it: a Node built-in (`node:fs`, ...), a
 * package that does not resolve, a call to `fetch` (use the PDK's `request`, which the host
 * checks against the grant), or a WASI import beyond clocks and random.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { checkWorld, parseWorldShape } from '../plugins/component/world.js';
import { loadPluginManifest, MANIFEST_FILE, type PluginManifest } from '../plugins/manifest.js';
import { setManifestEntry } from './manifest-edit.js';
import { dativoRoot } from './paths.js';

export const COMPONENT_ENTRY = path.join('src', 'plugin.ts');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export interface ComponentBuildResult {
  manifest: PluginManifest;
  wasm: string;
  sha256: string;
  bytes: number;
  ms: number;
}

function refuse(plugin: string, message: string): DativoError {
  return new DativoError('PLUGIN_DENIED', `plugin ${plugin}: ${message}`, { location: { plugin } });
}

/** Bundle the entry into one ES module; the only import left is `dativo:plugin/*`. */
async function bundle(plugin: string, dir: string, entry: string, outFile: string): Promise<void> {
  const esbuild = await import('esbuild');
  const root = dativoRoot();
  const denied: string[] = [];
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile: outFile,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      external: ['dativo:plugin/*'],
      alias: { '@dativo/pdk': path.join(root, 'plugin-pdk', 'ts', 'src', 'index.ts') },
      nodePaths: [path.join(dir, 'node_modules'), path.join(root, 'node_modules')],
      logLevel: 'silent',
      plugins: [
        {
          name: 'dativo-no-node',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (!NODE_BUILTINS.has(args.path)) return undefined;
              denied.push(`${args.path} (imported by ${path.relative(dir, args.importer)})`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` at ${first.location.file}:${first.location.line}` : '';
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${plugin}: bundling failed: ${first?.text ?? String(e)}${where}`,
      {
        location: {
          plugin,
          ...(first?.location ? { file: first.location.file, line: first.location.line } : {}),
        },
      },
    );
  }
  if (denied.length > 0) {
    throw refuse(
      plugin,
      `imports ${denied[0]}: a component has no Node built-ins (no filesystem, environment, process or sockets); use the PDK's host functions`,
    );
  }
  const code = readFileSync(outFile, 'utf8');
  const fetchCall = /(?<![.\w$])fetch\s*\(/.exec(code);
  if (fetchCall) {
    throw refuse(
      plugin,
      'calls fetch(), which a component does not have: use request() from @dativo/pdk (the host checks it against the grant)',
    );
  }
}

async function componentize(bundleFile: string, world: 'reader' | 'writer'): Promise<Uint8Array> {
  // jco/componentize-js run wasm-tools as a WASI guest that needs "/" (scripts/wasi-preopen.mjs).
  const { _setPreopens } = (await import('@bytecodealliance/preview2-shim/filesystem' as string)) as {
    _setPreopens: (p: Record<string, string>) => void;
  };
  _setPreopens({ '/': '/' });
  const { componentize: run } = await import('@bytecodealliance/componentize-js');
  const { component } = await run({
    sourcePath: bundleFile,
    witPath: path.join(dativoRoot(), 'wit'),
    worldName: world,
    // stdio stays off (logs go through the host); clocks and random stay on (Date.now, Math.random).
    disableFeatures: ['stdio', 'http', 'fetch-event'],
  });
  return component;
}

/** Build the TypeScript plugin in `dir` into `<name>.wasm` next to its manifest. */
export async function buildComponentPlugin(dir: string): Promise<ComponentBuildResult> {
  const t0 = performance.now();
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const { manifest } = loadPluginManifest(manifestPath, 'reader');
  const plugin = manifest.name;
  const entry = path.join(dir, COMPONENT_ENTRY);
  if (!existsSync(entry))
    throw new DativoError('CONFIG_NOT_FOUND', `plugin ${plugin}: ${entry} does not exist`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dativo-component-'));
  try {
    const bundleFile = path.join(tmp, 'plugin.js');
    await bundle(plugin, dir, entry, bundleFile);
    let component: Uint8Array;
    try {
      component = await componentize(bundleFile, manifest.role);
    } catch (e) {
      throw new DativoError(
        'PLUGIN_ERROR',
        `plugin ${plugin}: componentize failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
        { location: { plugin } },
      );
    }
    const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    checkWorld(manifest, parseWorldShape(await componentWit(component)));
    const file = manifest.entry.file.endsWith('.wasm') ? manifest.entry.file : `${plugin}.wasm`;
    const wasm = path.join(dir, file);
    writeFileSync(wasm, component);
    const sha256 = createHash('sha256').update(component).digest('hex');
    const updated = setManifestEntry(manifestPath, { file, sha256 });
    return {
      manifest: updated,
      wasm,
      sha256,
      bytes: component.byteLength,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
