/**
 * Start a worker module that sits next to the caller, both from the built `dist/` (`.js`) and from
 * source under vitest/tsx (`.ts`).
 *
 * From source the worker needs tsx's loader. `execArgv: ['--import', 'tsx']` does NOT work for
 * workers on Node 20 (the hooks never reach the worker: "Unknown file extension .ts"), so the
 * worker starts from a two-line bootstrap that registers tsx's ESM API and then imports the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Where a worker started from source finds tsx's `unregister` (a global symbol of this name): a
 * worker that goes on to import large plain-JS modules (a component's bindings) drops the loader
 * first, which otherwise transforms them again on every start.
 */
export const TSX_UNREGISTER = 'dativo.tsx.unregister';

/**
 * @param callerUrl the caller's `import.meta.url`
 * @param name the worker module's base name relative to the caller, without extension (`'encode-worker'`)
 */
export function spawnWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl);
  if (!fromSource) return new Worker(url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { globalThis[Symbol.for(${JSON.stringify(TSX_UNREGISTER)})] = register(); ` +
    `return import(${JSON.stringify(url.href)}); })` +
    `.catch((e) => { setImmediate(() => { throw e; }); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
