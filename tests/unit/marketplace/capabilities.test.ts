import { describe, expect, it } from 'vitest';
import { addedCapabilities, describeCapabilities } from '../../../host/marketplace/capabilities.js';
import { manifestSchema } from '../../../host/plugins/manifest.js';

const caps = (c: unknown) =>
  manifestSchema.parse({
    name: 'p',
    version: '1.0.0',
    role: 'reader',
    runtime: 'extism',
    abi: '1.0',
    entry: { file: 'p.wasm', sha256: 'a'.repeat(64) },
    capabilities: c,
  }).capabilities;

describe('capabilities', () => {
  it('describes every requested capability', () => {
    expect(
      describeCapabilities(caps({ network: { hosts: ['a.example:443'] }, secrets: ['token'], files: true })),
    ).toEqual([
      'network: a.example:443',
      'secrets: token',
      "files: reads the job's source.files (read-only)",
      'limits: memory 64 MB, 30000 ms per call, output 256 MB',
    ]);
  });

  it('lists only what an update adds', () => {
    const before = caps({ network: { hosts: ['a.example:443'] }, memory_mb: 64 });
    expect(addedCapabilities(before, caps({ network: { hosts: ['a.example:443'] }, memory_mb: 32 }))).toEqual(
      [],
    );
    expect(
      addedCapabilities(
        before,
        caps({
          network: { hosts: ['a.example:443', 'b.example:443'] },
          secrets: ['k'],
          files: true,
          memory_mb: 128,
        }),
      ),
    ).toEqual([
      'network host b.example:443',
      'secret k',
      "reading the job's source.files",
      'memory 64 → 128 MB',
    ]);
  });
});
