/**
 * A hostile Airbyte connector (the test source in mode "escape", airbyte-common/escape.sh) probes
 * its container through `dativo run` and reports each probe as a RECORD {probe, escaped, detail}.
 * The host plants three canaries: a file, an environment variable of the `dativo` process and a
 * TCP server on the host's loopback. With network `none` every probe must report `escaped = false`
 * and no canary value may appear anywhere in the output. With egress granted (network `host`)
 * the container shares the host's network namespace: the loopback server answers and the host's
 * interfaces are visible, which is exactly what the README warns about; nothing else changes.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { JOBS, leftoverContainers, startDockerAndBuild, tempDir } from '../integration/airbyte-setup.js';

const JOB = path.join(JOBS, 'probes.yaml');
const tag = randomBytes(6).toString('hex');
const FILE_CANARY = `file-canary-${tag}`;
const ENV_NAME = `DATIVO_CANARY_${tag.toUpperCase()}`;
const ENV_CANARY = `env-canary-${tag}`;
const NET_CANARY = `loopback-canary-${tag}`;
const CANARIES = [FILE_CANARY, ENV_CANARY, NET_CANARY];

let server: Server;
const sockets = new Set<Socket>();
let port = 0;
let canaryPath = '';

beforeAll(async () => {
  startDockerAndBuild();
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.end(`HTTP/1.0 200 OK\r\n\r\n${NET_CANARY}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
  canaryPath = path.join(tempDir('dativo-canary-'), 'host-secret.txt');
  await writeFile(canaryPath, FILE_CANARY, { mode: 0o644 });
});

afterAll(async () => {
  // A half-closed client socket would keep close() waiting forever.
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

interface Probe {
  probe: string;
  escaped: boolean;
  detail: string;
}

async function probe(network: 'none' | 'host'): Promise<{ rows: Probe[]; raw: string; out: string }> {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const r = await runCli(['run', '--config', JOB, '--json'], {
    env: {
      OUT_DIR: out,
      STATE_DIR: path.join(dir, 'state'),
      STRIPE_API_KEY: 'sk_test_probe',
      AIRBYTE_NETWORK: network,
      CANARY_PATH: canaryPath,
      CANARY_PORT: String(port),
      [ENV_NAME]: ENV_CANARY,
    },
    timeoutMs: 180_000,
  });
  const report = reportOf(r);
  expect(report.status, r.stderr.slice(-3000)).toBe('succeeded');
  const rows = await duck<Probe>(
    `SELECT probe, escaped, coalesce(detail, '') AS detail FROM read_parquet('${out}/**/*.parquet') ORDER BY probe`,
  );
  // Everything the run produced: its report, logs and every file in the target (Parquet included).
  let raw = r.stdout + r.stderr;
  for (const f of await readdir(out, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) raw += (await readFile(path.join(f.parentPath, f.name))).toString('latin1');
  }
  return { rows, raw, out };
}

const byName = (rows: Probe[]): Record<string, Probe> => Object.fromEntries(rows.map((p) => [p.probe, p]));

describe('airbyte connector sandbox', () => {
  it('network none: every probe is blocked and no canary leaks', async () => {
    const { rows, raw } = await probe('none');
    const p = byName(rows);
    // The probes the connector must have run (a silent connector would pass vacuously).
    for (const name of [
      'read:/etc/shadow',
      `read:${canaryPath}`,
      `read:/proc/1/root${canaryPath}`,
      'env',
      'environ_pid1',
      'net:loopback',
      'net:interfaces',
      'write:rootfs',
      'write:config',
      'write:io',
      'mount',
      'uid',
      'docker_sock',
      'chroot',
      'capabilities',
    ]) {
      expect(p[name], `probe ${name} missing`).toBeDefined();
    }
    expect(rows.filter((r) => r.escaped)).toEqual([]);
    expect(p['net:interfaces']?.detail.trim()).toBe('lo');
    expect(p.uid?.detail).toMatch(/^uid=65534 /);
    expect(p.capabilities?.detail).toMatch(/CapEff:\s+0000000000000000/);
    expect(p['write:rootfs']?.detail).toMatch(/Read-only file system/);
    expect(p['write:config']?.detail).toMatch(/Read-only file system/);
    expect(p['write:io']?.detail).toMatch(/Read-only file system/);
    // The environment is empty apart from the image's own variables.
    expect(p.env?.detail).not.toContain(ENV_NAME);
    for (const c of CANARIES) expect(raw, `canary ${c} leaked`).not.toContain(c);
    const rowsText = JSON.stringify(rows);
    for (const c of CANARIES) expect(rowsText).not.toContain(c);
    expect(leftoverContainers('probes')).toEqual([]);
  });

  it('network host: loopback is reachable (documented: host does not isolate loopback); nothing else changes', async () => {
    const { rows } = await probe('host');
    const p = byName(rows);
    expect(p['net:loopback']).toMatchObject({ escaped: true });
    expect(p['net:loopback']?.detail).toContain(NET_CANARY);
    // The host's interfaces are visible; the probe only lists them, it sends nothing.
    expect(p['net:interfaces']?.escaped).toBe(true);
    const others = rows.filter((r) => r.escaped && !r.probe.startsWith('net:'));
    expect(others).toEqual([]);
    const rowsText = JSON.stringify(rows);
    expect(rowsText).not.toContain(FILE_CANARY);
    expect(rowsText).not.toContain(ENV_CANARY);
    expect(leftoverContainers('probes')).toEqual([]);
  });
});
