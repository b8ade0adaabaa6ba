/**
 * Hostile TypeScript components (one component, its config picks the attack): each attempt is
 * stopped with an error naming the plugin, the capability and the resource, an audit line is
 * written, and the host keeps running. Plus what only components can do wrong: a world or
 * version that is not the manifest's, a header that contradicts the manifest's runtime.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticSecrets } from '../../host/config/secret-lookup.js';
import { DativoError } from '../../host/errors.js';
import type { ExtismInstance } from '../../host/plugins/extism/instance.js';
import { createPluginSource } from '../../host/plugins/index.js';
import { decodeIpcBatch } from '../../host/plugins/ipc-frame.js';
import { openPlugin, type PreparedPlugin, preparePlugin } from '../../host/plugins/load.js';
import { builtComponent } from '../helpers/component.js';
import { captureLogger, fakeJob, SOURCE_CTX } from '../unit/plugins/fixtures.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'component-hostile');
const SECRET = 'tok_live_component-do-not-leak';
const cap = captureLogger();
const { logger } = cap;
let dir: string;
const open: (PreparedPlugin & { instance: ExtismInstance })[] = [];

beforeAll(async () => {
  process.env.DATIVO_CACHE_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'dativo-cache-'));
  dir = await builtComponent(FIXTURE);
}, 900_000);

afterAll(async () => {
  for (const p of open) await p.instance.close();
});

async function start(
  mode: string,
  allow: { hosts?: string[]; secrets?: string[]; timeoutMs?: number; memoryMb?: number } = {},
) {
  const p = await openPlugin(dir, {
    role: 'reader',
    config: { mode },
    allow: { hosts: [], secrets: [], ...allow },
    secrets: staticSecrets({ api_token: SECRET }),
    logger,
  });
  open.push(p);
  return p.instance;
}

async function caught(p: Promise<unknown>): Promise<DativoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DativoError);
    return e as DativoError;
  }
  throw new Error('expected a DativoError');
}

function audits(capability: string): Record<string, unknown>[] {
  return cap.parsed().filter((l) => l.event_type === 'plugin_denied' && l.capability === capability);
}

describe('a well-behaved component', () => {
  it('emits typed Arrow batches built inside it, with state, and has clocks and randomness', async () => {
    const inst = await start('ok');
    const out = await inst.call('next_batch');
    const batch = decodeIpcBatch(out!);
    expect(batch.numRows).toBe(3);
    expect(batch.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Int64', 'name:Utf8']);
    expect(batch.getChild('name')?.toArray()).toEqual(['row 1', 'row 2', 'row 3']);
    expect(inst.state()).toEqual({ cursor: '3' });
    expect(await inst.call('next_batch')).toBeNull();

    const clock = await start('clock');
    const c = decodeIpcBatch((await clock.call('next_batch'))!);
    expect(Math.abs(Number(c.getChild('now')?.get(0)) - Date.now())).toBeLessThan(60_000);
    const again = decodeIpcBatch((await (await start('clock')).call('next_batch'))!);
    expect(again.getChild('random')?.get(0)).not.toBe(c.getChild('random')?.get(0));
  });
});

describe('hostile components', () => {
  it('a busy loop is ended at the time limit; the host keeps running', async () => {
    const inst = await start('loop', { timeoutMs: 1000 });
    const t0 = Date.now();
    const err = await caught(inst.call('next_batch'));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.message).toMatch(/plugin component-hostile: call next_batch exceeded the 1000 ms time limit/);
    expect(err.details).toMatchObject({ capability: 'timeout', resource: 'next_batch' });
    expect(audits('timeout').at(-1)).toMatchObject({ plugin: 'component-hostile', resource: 'next_batch' });
    expect(inst.alive).toBe(false);
  });

  it('memory is capped at the grant inside the component', async () => {
    const inst = await start('memory', { memoryMb: 32 });
    const err = await caught(inst.call('next_batch'));
    expect(err.message).toMatch(/plugin component-hostile/);
    expect(err.code === 'PLUGIN_DENIED' || err.code === 'PLUGIN_ERROR').toBe(true);
    expect(inst.alive).toBe(false);
  });

  it('an ungranted host is denied, naming plugin, capability and resource, even when the plugin swallows it', async () => {
    for (const mode of ['host', 'host-ignored']) {
      const inst = await start(mode);
      const err = await caught(inst.call('next_batch'));
      expect(err.code).toBe('PLUGIN_DENIED');
      expect(err.message).toMatch(/plugin component-hostile/);
      expect(err.message).toMatch(/evil\.example:80/);
      expect(err.details).toMatchObject({ capability: 'network', resource: 'evil.example:80' });
    }
    expect(audits('network').length).toBeGreaterThanOrEqual(2);
  });

  it('a secret the job does not allow is denied and never logged', async () => {
    const inst = await start('secret');
    const err = await caught(inst.call('next_batch'));
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.details).toMatchObject({ capability: 'secret', resource: 'aws_key' });
    expect(audits('secret').at(-1)).toMatchObject({ plugin: 'component-hostile', resource: 'aws_key' });
    expect(cap.lines.join('\n')).not.toContain(SECRET);
  });

  it('huge log output is capped per call and per line', async () => {
    const before = cap.lines.length;
    const inst = await start('logs');
    expect(await inst.call('next_batch')).toBeNull();
    const mine = cap.parsed().slice(before);
    const lines = mine.filter((l) => l.source === 'plugin' && /^line \d+ /.test(String(l.message)));
    expect(lines).toHaveLength(1000);
    expect(String(lines[0]?.message)).toMatch(/… \(truncated\)$/);
    expect(String(lines[0]?.message).length).toBeLessThan(4200);
    expect(mine.some((l) => /500 log line\(s\) dropped/.test(String(l.message)))).toBe(true);
  });

  it('oversized state is refused as an error the plugin reports', async () => {
    const err = await caught((await start('state')).call('next_batch'));
    expect(err.message).toMatch(/\[STATE_TOO_LARGE\] plugin component-hostile: state above 1048576 bytes/);
    expect(err.details).toMatchObject({ pluginCode: 'STATE_TOO_LARGE' });
  });

  it('a reported error keeps the instance; a trap ends it and the next call starts a fresh one', async () => {
    const e = await start('error');
    const reported = await caught(e.call('next_batch'));
    expect(reported.message).toMatch(/\[RATE_LIMITED\] slow down/);
    expect(reported.retryable).toBe(true);
    expect(e.alive).toBe(true);

    const t = await start('trap');
    const trapped = await caught(t.call('next_batch'));
    expect(trapped.code).toBe('PLUGIN_ERROR');
    expect(trapped.message).toMatch(/trapped in next_batch/);
    expect(t.alive).toBe(false);
    const checked = JSON.parse(new TextDecoder().decode((await t.call('check'))!));
    expect(checked).toEqual({ status: 'success', message: 'mode trap' });
    expect(t.starts).toBe(2);
  });

  it('returned batches are freed: 60 batches of 2 MB (120 MB) through a 64 MiB grant arrive intact', async () => {
    // componentize-js 0.22 never frees what next-batch returns; without free-batch.ts this traps
    // on the grant after about 25 batches (50 MB).
    const inst = await start('big', { memoryMb: 64 });
    for (let n = 0; n < 60; n++) {
      const batch = decodeIpcBatch((await inst.call('next_batch'))!);
      expect(batch.numRows).toBe(262_144);
      const seq = batch.getChild('seq')?.toArray() as Float64Array;
      expect(seq.every((v) => v === n)).toBe(true);
    }
    expect(inst.alive).toBe(true);
    expect(inst.starts).toBe(1);
  }, 300_000);

  it('a malformed batch is refused by the Source', async () => {
    const job = fakeJob({
      source: { config: { mode: 'bad-batch' }, plugin: { path: dir, allow: { hosts: [], secrets: [] } } },
    });
    const source = await createPluginSource(job, undefined, { logger });
    await source.open(SOURCE_CTX(logger));
    const read = (async () => {
      for await (const _ of source.read());
    })();
    const err = await caught(read);
    expect(err.message).toMatch(/plugin component-hostile: next_batch returned an invalid batch/);
    await source.close();
  });
});

describe('what the host checks before a component runs', () => {
  function variant(edit: (manifest: string) => string): string {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'component-variant-'));
    cpSync(dir, copy, { recursive: true });
    const file = path.join(copy, 'dativo-plugin.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    return copy;
  }

  it('a component used as the other world is refused, naming the world', async () => {
    const forged = variant((m) => m.replace('role: reader', 'role: writer'));
    const err = await caught(openPlugin(forged, { role: 'writer', logger }));
    expect(err.message).toMatch(
      /does not implement the dativo:plugin\/writer world \(missing write-batch, commit\); it looks like a reader/,
    );
  });

  it('a version the manifest does not declare is refused', async () => {
    const forged = variant((m) => m.replace('abi: "1.1"', 'abi: "1.0"'));
    const err = await caught(openPlugin(forged, { role: 'reader', logger }));
    expect(err.code).toBe('PLUGIN_VERSION_INCOMPATIBLE');
    expect(err.message).toMatch(/imports dativo:plugin\/host@1\.1\.0 \(manifest says abi 1\.0\)/);
  });

  it('a header contradicting the manifest runtime is refused (exit 2 class), deno names the decision', () => {
    const asExtism = variant((m) => m.replace('runtime: component', 'runtime: extism'));
    expect(() => preparePlugin(asExtism, { role: 'reader' })).toThrow(
      /is a WebAssembly component, but dativo-plugin\.yaml says runtime: extism/,
    );
    const asDeno = variant((m) => m.replace('runtime: component', 'runtime: deno'));
    expect(() => preparePlugin(asDeno, { role: 'reader' })).toThrow(
      /runtime: deno is valid but not implemented: TypeScript plugins run as WebAssembly components/,
    );
  });
});
