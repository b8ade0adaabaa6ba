/**
 * A hostile Singer tap (tap_fixture.py, mode "escape") probes its sandbox and reports each probe
 * as a row: host files outside its grant, the host environment (a canary variable set for
 * `dativo run`), a TCP server on the host's loopback, a host process, writes to / and to its
 * read-only data. Every probe must come back "blocked", under bubblewrap and in a container; with
 * network granted the loopback probe connects, which shows the probe itself works.
 */

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { type Launch, prepareSinger, runJob, workspace, writeJob } from '../integration/singer-helpers.js';

let server: Server;
let port = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  prepareSinger({ docker: true });
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.end('HTTP/1.0 200 OK\r\n\r\nhost-secret-banner');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
}, 1_800_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const CANARY = 'DATIVO_CANARY_7f3a';

type Probes = Record<string, { outcome: string; detail: string }> & { hostWrites: string[] };

async function probes(launch: Launch, network = false): Promise<Probes> {
  const ws = await workspace();
  const secret = path.join(ws.dir, 'host-secret.txt');
  await writeFile(secret, 'top-secret-host-file');
  const job = await writeJob(ws, {
    kind: 'stripe',
    stream: 'probes',
    contract: 'probes.yaml',
    launch,
    name: 'escape',
    config: {
      mode: 'escape',
      env_canary: CANARY,
      probe_files: [
        secret,
        '/etc/shadow',
        path.join(REPO, 'tsconfig.json'),
        path.join(REPO, 'package.json'),
        '/proc/1/environ',
      ],
      probe_port: port,
      host_pid: process.pid,
      probe_write_dirs: [ws.data, ws.dir],
    },
    options: {
      streams: ['probes'],
      catalog: path.join(ws.dir, 'catalog.json'),
      ...(network ? { network: true } : {}),
    },
  });
  // The escape mode has no discovery of its own: the job names a catalog with the probes stream.
  await writeFile(
    path.join(ws.dir, 'catalog.json'),
    JSON.stringify({ streams: [{ tap_stream_id: 'probes', schema: { type: 'object' }, metadata: [] }] }),
  );
  const r = await runJob(ws, job, { [CANARY]: 'canary-value-in-host-env' });
  const rep = reportOf(r);
  expect(rep.status, r.stderr).toBe('succeeded');
  const rows = await duck<{ probe: string; outcome: string; detail: string }>(
    `SELECT probe, outcome, detail FROM read_parquet('${ws.out}/**/*.parquet')`,
  );
  // A write "inside" can land in the sandbox's private tmpfs (bwrap creates the parents of a bind
  // there): what matters is whether anything appeared on the host.
  const hostWrites = [ws.data, ws.dir, '/']
    .map((d) => path.join(d, d === '/' ? 'dativo-escape' : 'dativo-escape-probe'))
    .filter((f) => existsSync(f));
  return Object.assign(
    Object.fromEntries(rows.map((x) => [x.probe, { outcome: x.outcome, detail: x.detail }])),
    {
      hostWrites,
    },
  ) as Probes;
}

describe.each<Launch>(['bwrap', 'docker'])('singer tap escape attempts via %s', (launch) => {
  it('cannot read host files or env, reach the host loopback, see host processes, or write', async () => {
    const p = await probes(launch);
    expect(p.hostWrites).toEqual([]);
    for (const name of [
      'host_file_0',
      'host_file_1',
      'host_file_2',
      'host_file_3',
      'host_env',
      'host_loopback',
      'host_process',
      'write_root',
      'host_write_0',
    ]) {
      expect(p[name]?.outcome, `${name}: ${p[name]?.detail}`).toBe('blocked');
    }
    // /proc/1 inside is the sandbox's own init or tini, never the host's: whatever it reads holds no canary.
    expect(p.host_file_4?.detail ?? '').not.toContain(CANARY);
    // An empty environment: only what Python (LC_CTYPE, PEP 538) and bwrap --chdir (PWD) set themselves.
    if (launch === 'bwrap')
      for (const k of (p.env_count?.detail ?? '').split(',').filter(Boolean))
        expect(['LC_CTYPE', 'PWD']).toContain(k);
  });
});

it('with network granted, the same loopback probe connects (the probe is real)', async () => {
  const p = await probes('bwrap', true);
  expect(p.host_loopback?.outcome).toBe('escaped');
  expect(p.host_loopback?.detail).toContain('host-secret-banner');
  expect(p.host_env?.outcome).toBe('blocked');
});
