import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { manifestSchema, parseManifest } from '../../../host/plugins/manifest.js';
import { abiCompatible, checkModule, computeGrant, parseSize } from '../../../host/plugins/policy.js';
import { appendCustomSection, parseWasmModule, readAbiVersion } from '../../../host/plugins/wasm-module.js';
import { buildTestPlugins, builtModule, captureLogger } from './fixtures.js';

beforeAll(() => buildTestPlugins(), 120_000);

const base = {
  name: 'demo',
  version: '1.0.0',
  role: 'reader',
  runtime: 'extism',
  abi: '1.0',
  entry: { file: 'plugin.wasm', sha256: 'a'.repeat(64) },
};

describe('manifest', () => {
  it('fills defaults and validates host:port', () => {
    const m = manifestSchema.parse({
      ...base,
      capabilities: { network: { hosts: ['api.stripe.com:443'] }, secrets: ['token'] },
    });
    expect(m.capabilities).toMatchObject({
      memory_mb: 64,
      timeout_ms: 30000,
      output_mb: 256,
      secrets: ['token'],
    });
    expect(() =>
      parseManifest(
        'name: demo\nversion: 1\nrole: reader\nruntime: extism\nabi: 1.0\nentry: {file: x.wasm, sha256: zz}\ncapabilities: {network: {hosts: [api.stripe.com]}}',
        'm.yaml',
      ),
    ).toThrow(/entry.sha256: 64 hex digits.*capabilities.network.hosts.0: a network host is "host:port"/);
  });

  it('rejects unknown keys and roles', () => {
    expect(() => parseManifest(JSON.stringify({ ...base, role: 'transformer', extra: 1 }), 'm.yaml')).toThrow(
      DativoError,
    );
  });
});

describe('grant = request ∩ allow, bounded by plugins.sandbox', () => {
  const m = manifestSchema.parse({
    ...base,
    capabilities: {
      network: { hosts: ['api.a.com:443', 'api.b.com:443'] },
      secrets: ['s1', 's2'],
      memory_mb: 128,
      timeout_ms: 60000,
      output_mb: 100,
    },
  });

  it('keeps only what both sides name; the smaller limit wins', () => {
    const { logger, parsed } = captureLogger();
    const g = computeGrant(
      m,
      { hosts: ['api.a.com', 'evil.com:443'], secrets: ['s2', 's3'], memoryMb: 32, timeoutMs: 5000 },
      undefined,
      logger,
    );
    expect(g).toMatchObject({
      hosts: ['api.a.com:443'],
      secrets: ['s2'],
      memoryBytes: 32 << 20,
      timeoutMs: 5000,
      outputBytes: 100 << 20,
    });
    expect(
      parsed()
        .filter((l) => l.event_type === 'plugin_not_granted')
        .map((l) => `${l.capability}:${l.resource}`),
    ).toEqual(['network:api.b.com:443', 'secret:s1']);
  });

  it('applies the sandbox as an upper bound, and network_disabled', () => {
    const g = computeGrant(
      m,
      { hosts: ['api.a.com:443'], secrets: [] },
      { memoryLimit: '16m', timeout: 2, networkDisabled: true },
    );
    expect(g).toMatchObject({ hosts: [], memoryBytes: 16 << 20, timeoutMs: 2000 });
  });

  it('parses docker-style sizes and ABI compatibility', () => {
    expect([parseSize('512m'), parseSize('1g'), parseSize('256Mi'), parseSize(1024), parseSize('x')]).toEqual(
      [512 << 20, 1 << 30, 256 << 20, 1024, undefined],
    );
    expect([
      abiCompatible('1.0'),
      abiCompatible('1.1'),
      abiCompatible('1.2'),
      abiCompatible('2.0'),
      abiCompatible('0.9'),
    ]).toEqual([true, true, false, false, false]);
  });
});

describe('module checks before instantiation', () => {
  const grant = computeGrant(manifestSchema.parse(base), { hosts: [], secrets: [] }, undefined);

  it('reads the ABI section, exports and memory limits of a built module', () => {
    const info = parseWasmModule(readFileSync(builtModule('reader')));
    expect(readAbiVersion(info)).toBe('1.0');
    expect(info.memories).toEqual([
      { min: expect.any(Number), max: 64, shared: false, memory64: false, imported: false },
    ]);
    expect(info.exports).toEqual(
      expect.arrayContaining(['open', 'next_batch', 'check', 'discover', 'close']),
    );
    expect(info.imports.map((i) => i.module)).toEqual(expect.arrayContaining(['dativo', 'extism:host/env']));
  });

  it('names a missing section, bad magic and components', () => {
    const bare = readFileSync(builtModule('reader'));
    const info = parseWasmModule(
      appendCustomSection(new Uint8Array(bare), 'other', new TextEncoder().encode('x')),
    );
    expect(info.customSections.get('other')?.[0]).toEqual(new TextEncoder().encode('x'));
    expect(() =>
      checkModule(manifestSchema.parse(base), Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), grant),
    ).toThrow(/not a valid module: not a WebAssembly module/);
    expect(() =>
      checkModule(manifestSchema.parse(base), Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), grant),
    ).toThrow(/component/);
    const noAbi = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(() => checkModule(manifestSchema.parse(base), noAbi, grant)).toThrow(
      /no "dativo_abi" custom section; this host speaks ABI 1\.1/,
    );
  });
});
