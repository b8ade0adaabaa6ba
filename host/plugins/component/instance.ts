/**
 * The host-thread side of a component plugin: from its verified bytes to what its Worker needs.
 * Transpile (cached by sha256), check the world and version, cap the core modules' memory at the
 * grant and compile them here (V8 compiles in the background); then the shared `ExtismInstance`
 * runs `./worker.ts` with them, so timeouts, HTTP, logs, audit lines and restarts after a trap
 * are the Extism runtime's, line for line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { WorkerRuntime } from '../extism/instance.js';
import type { LoadedPlugin } from '../manifest.js';
import { deny, type Grant } from '../policy.js';
import { Wasm, type WasmModule } from '../wasm-api.js';
import { capCoreMemory, MemoryCapError } from './memory-cap.js';
import { type TranspiledComponent, transpileComponent } from './transpile.js';
import type { ComponentModules } from './worker.js';
import { type ComponentWorld, checkWorld } from './world.js';

export interface ComponentRuntime extends WorkerRuntime {
  /** Transpile (or read the cache) and check the world; refusals throw DativoError. */
  check(): Promise<{ world: ComponentWorld; transpiled: TranspiledComponent }>;
}

/**
 * Compiled cores per process, by transpile folder and memory cap (written into the bytes): a
 * restart after a trap, or a second job with the same plugin, skips reading and compiling 12 MB.
 * A failed compile is not kept (its refusal is audited again on the next try).
 */
const compiled = new Map<string, Promise<Record<string, WasmModule>>>();

function compileCoresCached(
  plugin: string,
  t: TranspiledComponent,
  grant: Grant,
  logger: Logger | undefined,
): Promise<Record<string, WasmModule>> {
  const key = `${t.dir}\0${grant.memoryBytes}`;
  let cores = compiled.get(key);
  if (!cores) {
    cores = compileCores(plugin, t, grant, logger);
    compiled.set(key, cores);
    cores.catch(() => compiled.delete(key));
  }
  return cores;
}

async function compileCores(
  plugin: string,
  t: TranspiledComponent,
  grant: Grant,
  logger: Logger | undefined,
): Promise<Record<string, WasmModule>> {
  const cores: Record<string, WasmModule> = {};
  await Promise.all(
    t.cores.map(async (name) => {
      let bytes: Uint8Array;
      try {
        bytes = capCoreMemory(readFileSync(path.join(t.dir, name)), grant.memoryBytes);
      } catch (e) {
        if (!(e instanceof MemoryCapError)) throw e;
        throw deny(logger, {
          plugin,
          capability: 'memory',
          resource: `${e.declaredBytes} bytes`,
          message: `plugin ${plugin}: ${e.message}`,
        });
      }
      cores[name] = await Wasm.compile(bytes);
    }),
  );
  return cores;
}

/** The component runtime for one prepared plugin; `load` and `check` run once and are shared. */
export function componentRuntime(
  loaded: LoadedPlugin,
  wasm: Uint8Array,
  grant: Grant,
  logger?: Logger,
): ComponentRuntime {
  const plugin = loaded.manifest.name;
  let checked: ReturnType<ComponentRuntime['check']> | undefined;
  let modules: Promise<WasmModule> | undefined;
  const check: ComponentRuntime['check'] = () => {
    checked ??= (async () => {
      const transpiled = await transpileComponent(plugin, wasm, loaded.manifest.entry.sha256.toLowerCase());
      return { world: checkWorld(loaded.manifest, transpiled.shape, logger), transpiled };
    })();
    return checked;
  };
  const load = (): Promise<WasmModule> => {
    modules ??= (async () => {
      const { world, transpiled } = await check();
      const cores = await compileCoresCached(plugin, transpiled, grant, logger).catch((e: unknown) => {
        if (e instanceof DativoError) throw e;
        throw new DativoError(
          'PLUGIN_ERROR',
          `plugin ${plugin}: its core modules do not compile: ${String(e)}`,
          {
            location: { plugin },
          },
        );
      });
      const msg: ComponentModules = { bindings: transpiled.bindings, cores, exports: world.exports };
      // The worker protocol carries "the module"; for a component it is this bundle.
      return msg as unknown as WasmModule;
    })();
    return modules;
  };
  // Instantiating a 12 MB StarlingMonkey component takes far longer than an Extism module.
  return { check, load, callerUrl: import.meta.url, worker: 'worker', startupMs: 60_000 };
}
