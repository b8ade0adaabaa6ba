import { describe, expect, it } from 'vitest';
import type { DativoError } from '../../../../host/errors.js';
import { capCoreMemory } from '../../../../host/plugins/component/memory-cap.js';
import { checkWorld, parseWorldShape } from '../../../../host/plugins/component/world.js';
import { wasmLayer } from '../../../../host/plugins/load.js';
import { manifestSchema } from '../../../../host/plugins/manifest.js';
import { parseWasmModule } from '../../../../host/plugins/wasm-module.js';

const manifest = (role: 'reader' | 'writer', abi = '1.1') =>
  manifestSchema.parse({
    name: 'demo',
    version: '1',
    role,
    runtime: 'component',
    abi,
    entry: { file: 'demo.wasm', sha256: 'a'.repeat(64) },
  });

const READER_WIT = `package root:component;

world root {
  import dativo:plugin/types@1.1.0;
  import dativo:plugin/host@1.1.0;
  import wasi:clocks/wall-clock@0.2.12;
  import wasi:random/random@0.2.12;
  import wasi:cli/stderr@0.2.12;

  export open: func(params: open-params) -> result<_, error>;
  export next-batch: func() -> result<option<arrow-batch>, error>;
  export check: func() -> result<check-result, error>;
  export close: func() -> result<_, error>;
}
`;

function denial(fn: () => unknown): DativoError {
  try {
    fn();
  } catch (e) {
    return e as DativoError;
  }
  throw new Error('expected a refusal');
}

describe('component world check', () => {
  it('reads imports and exports from the WIT and maps exports to the Extism names', () => {
    const shape = parseWorldShape(READER_WIT);
    expect(shape.exports).toEqual(['open', 'next-batch', 'check', 'close']);
    expect(checkWorld(manifest('reader'), shape)).toEqual({
      abi: '1.1',
      exports: ['open', 'next_batch', 'check', 'close'],
    });
  });

  it('refuses an ungranted interface, naming it, and an inline interface import', () => {
    const fs = denial(() =>
      checkWorld(
        manifest('reader'),
        parseWorldShape(
          READER_WIT.replace('world root {', 'world root {\n  import wasi:filesystem/types@0.2.12;'),
        ),
      ),
    );
    expect(fs.code).toBe('PLUGIN_DENIED');
    expect(fs.details).toMatchObject({ capability: 'import', resource: 'wasi:filesystem/types@0.2.12' });
    const inline = denial(() =>
      checkWorld(
        manifest('reader'),
        parseWorldShape(
          READER_WIT.replace(
            'world root {',
            'world root {\n  import sneaky: interface {\n    f: func();\n  }',
          ),
        ),
      ),
    );
    expect(inline.details).toMatchObject({ capability: 'import', resource: 'sneaky: interface' });
  });

  it('refuses another world and another major version', () => {
    expect(denial(() => checkWorld(manifest('writer'), parseWorldShape(READER_WIT))).message).toMatch(
      /does not implement the dativo:plugin\/writer world \(missing write-batch, commit\); it looks like a reader/,
    );
    const v2 = denial(() =>
      checkWorld(manifest('reader', '2.0'), parseWorldShape(READER_WIT.replaceAll('@1.1.0', '@2.0.0'))),
    );
    expect(v2.code).toBe('PLUGIN_VERSION_INCOMPATIBLE');
  });
});

describe('wasm header and memory cap', () => {
  const core = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 20]); // one memory, min 20 pages, no max
  it('tells a core module from a component by its header', () => {
    expect(wasmLayer(core)).toBe('module');
    expect(wasmLayer(Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]))).toBe('component');
    expect(wasmLayer(Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });

  it('writes the grant into a memory without a maximum and refuses a larger minimum', () => {
    const capped = parseWasmModule(capCoreMemory(core, 32 * 65536));
    expect(capped.memories).toEqual([{ min: 20, max: 32, shared: false, memory64: false, imported: false }]);
    expect(() => capCoreMemory(core, 10 * 65536)).toThrow(
      /its memory starts at 1\.3 MiB, above the 0\.6 MiB granted/,
    );
  });
});
