/**
 * Issue #21, hostile Python plugins: every way out of the sandbox is blocked, every limit ends the
 * plugin (not the host) with an error naming it, and no secret or host file reaches any output.
 * Runs the runtime directly (assets, sandbox, instance) as `dativo run` does.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Grant, grantHttp } from '../../host/plugins/policy.js';
import { runtimeAssets } from '../../host/plugins/python/assets.js';
import { PythonInstance } from '../../host/plugins/python/instance.js';
import { pythonSandbox } from '../../host/plugins/python/sandbox.js';
import { REPO } from '../helpers/cli.js';

const FIXTURES = path.join(REPO, 'tests/security/fixtures/python');
const SECRET = 'hunter2-do-not-leak';
const MARKER = 'DATIVO_PY_HOSTILE_MARKER';
const MARKER_VALUE = 'marker-value-from-the-host-env';

let tmp: string;
let secretFile: string;
let server: net.Server;
let port = 0;
let connections = 0;
const lines: string[] = [];
const logger = Object.fromEntries(
  ['debug', 'info', 'warn', 'error'].map((l) => [
    l,
    (o: unknown, m?: string) => lines.push(`${JSON.stringify(o)} ${m ?? ''}`),
  ]),
) as never;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'py-hostile-'));
  secretFile = path.join(tmp, 'secrets.json');
  await writeFile(secretFile, JSON.stringify({ db_password: SECRET }));
  process.env[MARKER] = MARKER_VALUE;
  server = net.createServer((s) => {
    connections++;
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  delete process.env[MARKER];
  server.close();
  await rm(tmp, { recursive: true, force: true });
});

function grant(over: Partial<Grant> = {}): Grant {
  return {
    plugin: 'hostile',
    role: 'reader',
    hosts: [],
    secrets: [],
    env: [],
    memoryBytes: 64 * 2 ** 20,
    kernelBytes: 64 * 2 ** 20,
    timeoutMs: 60_000,
    outputBytes: 256 * 2 ** 20,
    logBytes: 2 ** 20,
    // The host's default HTTP policy (what a job that allows nothing gets).
    http: grantHttp(undefined, undefined, 64 * 2 ** 20, 60_000),
    wasi: false,
    ...over,
  };
}

async function start(file: string, cls: string, g: Grant): Promise<PythonInstance> {
  const assets = await runtimeAssets();
  const useSnapshot = existsSync(assets.snapshot);
  const sandbox = pythonSandbox({
    assets,
    useSnapshot,
    heapMb: 128,
    files: [{ host: path.join(FIXTURES, file), python: `/dativo/plugin/${file}` }],
  });
  const inst = await PythonInstance.start({
    sandbox,
    grant: g,
    logger,
    secrets: { get: (n) => (n === 'db_password' ? SECRET : undefined), all: () => ({}) },
    ...(useSnapshot ? {} : { snapshotOut: assets.snapshot }),
  });
  const config = { connection: { secret_file: secretFile, port, marker_name: MARKER } };
  await inst.request('open', { role: 'reader', module: `/dativo/plugin/${file}`, class: cls, config });
  return inst;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a Python plugin cannot get out', () => {
  it('host files, the secrets file, env, sockets, subprocess and the JS bridge are all blocked', async () => {
    const inst = await start('probes.py', 'Probes', grant());
    const { body } = await inst.request('next');
    await inst.close();
    const rows = tableFromIPC(body)
      .toArray()
      .map((r) => r.toJSON() as { probe: string; blocked: boolean; detail: string });
    expect(rows.map((r) => r.probe)).toHaveLength(15);
    for (const r of rows) expect(r.blocked, `${r.probe}: ${r.detail}`).toBe(true);
    const by = Object.fromEntries(rows.map((r) => [r.probe, r.detail]));
    expect(by['read /etc/passwd']).toMatch(/FileNotFoundError/);
    expect(by['import js']).toMatch(/module 'js' is not available in the Dativo Python sandbox/);
    expect(by['import pandas']).toMatch(
      /module 'pandas' is not available in the Dativo Python sandbox: it has the Python standard library/,
    );
    expect(by['ungranted secret']).toMatch(/KeyError/);
    expect(by['Function: Deno.readTextFileSync']).toMatch(/NotCapable|Requires read access/);
    expect(by['Function: Deno.Command']).toMatch(/NotCapable|Requires run access/);
    expect(by['Function: Deno.listen']).toMatch(/NotCapable|Requires net access/);
    expect(connections).toBe(0);
    const everything = JSON.stringify(rows) + lines.join('\n');
    for (const leak of [SECRET, MARKER_VALUE, 'root:x:0:0']) expect(everything).not.toContain(leak);
    expect(lines.join('\n')).toMatch(/"capability":"secret","resource":"db_password"/);
  }, 180_000);
});

describe('requests from a Python plugin reach no ungranted host or credential', () => {
  it('requests.get / Session.post / file:// / a secret header / the raw host call: denied, 0 connections', async () => {
    const before = connections;
    const inst = await start('requests_probes.py', 'RequestsProbes', grant());
    const { body } = await inst.request('next');
    await inst.close();
    const rows = tableFromIPC(body)
      .toArray()
      .map((r) => r.toJSON() as { probe: string; blocked: boolean; detail: string });
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r.blocked, `${r.probe}: ${r.detail}`).toBe(true);
    const by = Object.fromEntries(rows.map((r) => [r.probe, r.detail]));
    expect(by['requests.get ungranted host']).toContain(
      `ConnectionError: plugin hostile: network access to 127.0.0.1:${port} denied (capability network, resource 127.0.0.1:${port}); granted hosts: none`,
    );
    expect(by['Session.post ungranted host (localhost)']).toMatch(/ConnectionError: .*localhost:\d+ denied/);
    expect(by['requests.get file://']).toMatch(/ConnectionError: .*denied/);
    expect(by['secret into a header']).toMatch(/KeyError: .*secret "db_password" denied/);
    expect(by['raw host http call']).toMatch(/PermissionError: .*denied \(capability network/);
    expect(connections).toBe(before);
    expect(JSON.stringify(rows) + lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).toMatch(/"capability":"network","resource":"127\.0\.0\.1:\d+"/);
  }, 180_000);
});

describe('limits end the plugin, not the host', () => {
  it('an infinite loop is killed at the time limit', async () => {
    const inst = await start('loop.py', 'Loop', grant({ timeoutMs: 3000 }));
    const pid = (inst as unknown as { child: { pid: number } }).child.pid;
    await expect(inst.request('next')).rejects.toThrow(
      /call next exceeded the 3000 ms time limit \(capability timeout\)/,
    );
    await inst.close();
    expect(alive(pid)).toBe(false);
  }, 180_000);

  it('a memory bomb is killed at the memory limit', async () => {
    const inst = await start('membomb.py', 'MemBomb', grant({ memoryBytes: 64 * 2 ** 20 }));
    await expect(inst.request('next')).rejects.toThrow(
      /over the \d+ MiB limit \(capability memory\)|MemoryError/,
    );
    await inst.close();
  }, 180_000);

  it('a flood of output is cut at the output limit', async () => {
    const inst = await start('flood.py', 'Flood', grant({ outputBytes: 4 * 2 ** 20 }));
    let err: unknown;
    try {
      for (let i = 0; i < 10; i++) await inst.request('next');
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/output exceeded the 4194304 byte limit \(capability output\)/);
    await inst.close();
  }, 180_000);
});
