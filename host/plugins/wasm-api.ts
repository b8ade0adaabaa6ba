/**
 * The few WebAssembly JS API types we use. The project compiles with `lib: ES2023` and Node's
 * types, neither of which declares the `WebAssembly` namespace, so we type what we touch.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module: opaque here; it can be posted to a Worker, which instantiates it. */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  /** From a compiled module this resolves to the instance itself (not {module, instance}). */
  instantiate(module: WasmModule, imports?: Record<string, unknown>): Promise<WasmInstance>;
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
  LinkError: new (message?: string) => Error;
  CompileError: new (message?: string) => Error;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
