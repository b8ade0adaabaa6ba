import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildComponentPlugin } from '../../../host/plugin-dev/component-build.js';
import { templateDir } from '../../../host/plugin-dev/paths.js';

/** The TS template with src/plugin.ts replaced: the refusals happen while bundling, before componentize. */
function pluginWith(source: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-ts-build-'));
  cpSync(templateDir('ts'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'src', 'plugin.ts'), source);
  return dir;
}

describe('plugin build (TypeScript) refuses what a component cannot have', () => {
  it('names a Node built-in and the file importing it', async () => {
    const dir = pluginWith(
      `import { readFileSync } from 'node:fs';\nexport const nextBatch = () => readFileSync('/etc/passwd');\n`,
    );
    await expect(buildComponentPlugin(dir)).rejects.toThrow(
      /plugin ts-reader-template: imports node:fs \(imported by src\/plugin\.ts\): a component has no Node built-ins/,
    );
  });

  it('names fetch', async () => {
    const dir = pluginWith(
      `export const nextBatch = () => { void fetch('https://example.com'); return undefined; };\n`,
    );
    await expect(buildComponentPlugin(dir)).rejects.toThrow(
      /calls fetch\(\), which a component does not have: use request\(\)/,
    );
  });

  it('names a package that does not resolve, with its position', async () => {
    const dir = pluginWith(`import { x } from 'no-such-package-here';\nexport const nextBatch = () => x;\n`);
    await expect(buildComponentPlugin(dir)).rejects.toThrow(
      /bundling failed: Could not resolve "no-such-package-here" at .*src\/plugin\.ts:1/,
    );
  });
});
