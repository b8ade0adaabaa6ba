/**
 * The attack pass of issue #14, as tests: each hostile module (WAT beside its built module, in
 * tests/security/hostile/) runs through the real CLI, measured from outside. Each asserts the exit
 * code, a PLUGIN_* error naming the plugin, the peak RSS and the wall time, and for secrets that
 * no form of the value (as is, reversed, hex) reaches stdout, stderr or any file written.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  filesBelow,
  hostileJob,
  hostilePlugin,
  type Measured,
  report,
  runMeasured,
  secretForms,
  watString,
} from './hostile/harness.js';
import { goodBatch, lie } from './hostile/lying-batches.js';

/** The CLI with a plugin worker stays well under this; the attacks took it to 1.6–3.3 GB. */
const RSS_BOUND_MB = 400;
/**
 * Wall time of a whole CLI run. Generous: the attacks ran 124 s to 10 minutes, and a trivial run
 * takes 15–20 s on a loaded shared CI box. Times that matter (signal to exit) are bounded tighter.
 */
const WALL_BOUND_MS = 60_000;

function expectBounded(r: Measured, wallMs: number): void {
  expect(r.peakRssMb, r.stderr.slice(-2000)).toBeGreaterThan(0);
  expect(r.peakRssMb).toBeLessThan(RSS_BOUND_MB);
  expect(r.wallMs).toBeLessThan(wallMs);
}

function expectNothingWritten(out: string): void {
  expect(filesBelow(out).filter((f) => f.endsWith('.parquet'))).toEqual([]);
}

describe('1. a batch that lies about its body', () => {
  const good = goodBatch(3);
  const lies: [string, (m: Parameters<Parameters<typeof lie>[1]>[0]) => void, RegExp, string | undefined][] =
    [
      [
        '50,000,000 rows in a 56-byte body',
        (m) => {
          m._length = 50_000_000;
          for (const n of m._nodes) n.length = 50_000_000;
        },
        /the values buffer of column "id" has 24 bytes; 50000000 values need 400000000/,
        'id',
      ],
      [
        '2^40 rows',
        (m) => {
          m._length = 2 ** 40;
          for (const n of m._nodes) n.length = 2 ** 40;
        },
        /the values buffer of column "id" has 24 bytes; 1099511627776 values need 8796093022208/,
        'id',
      ],
      [
        'a negative length',
        (m) => {
          m._length = -5;
          for (const n of m._nodes) n.length = -5;
        },
        /impossible row count -5/,
        undefined,
      ],
      [
        'a buffer offset past the body',
        (m) => {
          const b = m._buffers[3];
          if (b) b.offset = 1 << 20;
        },
        /a buffer of column "name" \(offset 1048576, length 16\) lies outside the 56-byte body/,
        'name',
      ],
    ];

  it.each(lies)(
    '%s: PLUGIN_BAD_OUTPUT naming plugin, batch 2 and field; nothing written',
    async (_, edit, why, field) => {
      const bad = lie(good, edit);
      const dir = hostilePlugin(
        'lying_reader.wat',
        { name: 'liar' },
        {
          GOOD: watString(good),
          GOOD_LEN: String(good.byteLength),
          LIE: watString(bad),
          LIE_LEN: String(bad.byteLength),
        },
      );
      const job = hostileJob(dir);
      const r = await runMeasured(job);
      expect(r.code, r.stderr.slice(-2000)).toBe(2);
      const err = report(r).errors[0];
      expect(err.code).toBe('PLUGIN_BAD_OUTPUT');
      expect(err.message).toContain(
        `plugin liar: next_batch returned an invalid batch (batch 2${field ? `, field "${field}"` : ''})`,
      );
      expect(err.message).toMatch(why);
      expectNothingWritten(job.out);
      expectBounded(r, WALL_BOUND_MS);
    },
  );
});

describe('2. secrets and environment in a plugin config', () => {
  const SECRET = 'wh-pass-7Qz9xK2mV4';
  const AWS = 'aws-secret-Lp3Rt8Yw1N';
  const env = { DATIVO_SECRET__TEST_TENANT__WAREHOUSE_PASSWORD: SECRET, AWS_SECRET_ACCESS_KEY: AWS };

  function expectNoLeak(r: Measured, out: string, values: string[]): void {
    const written = filesBelow(out).map((f) => readFileSync(f, 'latin1'));
    for (const v of values) {
      for (const form of secretForms(v)) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
        for (const w of written) expect(w).not.toContain(form);
      }
    }
  }

  it.each([
    ['${secret:warehouse_password}', 'secret "warehouse_password"', 'warehouse_password'],
    ['${AWS_SECRET_ACCESS_KEY}', 'environment variable AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY'],
  ])('an ungranted %s is refused at load, naming the key and the name', async (ref, what, name) => {
    const dir = hostilePlugin('config_leak.wat', {
      name: 'launderer',
      capabilities: { secrets: ['warehouse_password'] },
    });
    const job = hostileJob(dir, { secrets: [] }, { url: `https://db.example/?x=${ref}` });
    const r = await runMeasured(job, { env });
    expect(r.code, r.stderr.slice(-2000)).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain(
      `plugin launderer: its config key source.url uses ${what}, which is not granted`,
    );
    expect(err.message).toContain(`resource ${name}`);
    expectNothingWritten(job.out);
    expectNoLeak(r, job.dir, [SECRET, AWS]);
    expectBounded(r, WALL_BOUND_MS);
  });

  it('a granted secret reaches the config, and the audit line names it', async () => {
    const dir = hostilePlugin('config_leak.wat', {
      name: 'granted',
      capabilities: { secrets: ['warehouse_password'] },
    });
    const job = hostileJob(
      dir,
      { secrets: ['warehouse_password'] },
      { url: 'https://db.example/?x=${secret:warehouse_password}' },
    );
    const r = await runMeasured(job, { env });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const audit = r.stderr
      .split('\n')
      .filter((l) => l.includes('"plugin_secrets"'))
      .map((l) => JSON.parse(l));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      plugin: 'granted',
      secrets: ['warehouse_password'],
      config_secrets: ['warehouse_password'],
    });
    expect(r.stderr).not.toContain(SECRET);
    expectBounded(r, WALL_BOUND_MS);
  });
});

describe('3. limits when the job is silent', () => {
  it('memory_mb 65536 in the manifest gets the 64 MiB default: a 4 GiB module is refused', async () => {
    const dir = hostilePlugin('greedy_memory.wat', { name: 'greedy', capabilities: { memory_mb: 65536 } });
    const job = hostileJob(dir);
    const r = await runMeasured(job);
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('PLUGIN_DENIED');
    expect(err.message).toContain(
      'plugin greedy: module declares a memory maximum of 4096.0 MiB, above the 64.0 MiB granted',
    );
    expectBounded(r, WALL_BOUND_MS);
  });

  it("timeout_ms 600000 (and memory_mb 65536) in the manifest: the call ends at the job's 1500 ms", async () => {
    const dir = hostilePlugin('spin_reader.wat', {
      name: 'sleeper',
      capabilities: { timeout_ms: 600_000, memory_mb: 65536 },
    });
    const job = hostileJob(dir, { timeout_ms: 1500 });
    const r = await runMeasured(job);
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toContain('plugin sleeper: call next_batch exceeded the 1500 ms time limit');
    expectNothingWritten(job.out);
    expectBounded(r, WALL_BOUND_MS);
  });
});

describe('4 and 5. HTTP bounded by the grant, and ended with its call', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  let open = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      open++;
      req.socket.on('close', () => open--);
      if (req.url === '/huge') {
        // 768 MiB, streamed: the host must stop reading at the memory grant.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1 << 20, 120);
        let sent = 0;
        const pump = () => {
          while (sent < 768 && res.write(chunk)) sent++;
          if (sent < 768) res.once('drain', pump);
          else res.end();
        };
        pump();
      } else if (req.url === '/drip') {
        res.writeHead(200);
        const t = setInterval(() => res.write('x'), 200);
        res.on('close', () => clearInterval(t));
      }
      // '/never': no answer at all
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  const greedyHttp = (name: string) =>
    hostilePlugin('http_hog.wat', {
      name,
      capabilities: {
        network: { hosts: [`127.0.0.1:${port}`] },
        timeout_ms: 600_000,
        http: {
          max_response_mb: 100_000,
          request_timeout_ms: 600_000,
          max_retries: 10,
          max_delay_ms: 60_000,
        },
      },
    });

  it('max_response_mb 100000: a 768 MiB response stops at the 64 MiB memory grant', async () => {
    const job = hostileJob(
      greedyHttp('hog'),
      { hosts: [`127.0.0.1:${port}`] },
      { url: `http://127.0.0.1:${port}/huge` },
    );
    const r = await runMeasured(job);
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toContain('plugin hog');
    // The job is silent: the host default (16 MiB), not the manifest's 100000.
    expect(err.message).toContain('HTTP response larger than the 16 MiB allowed (max_response_mb)');
    expectBounded(r, WALL_BOUND_MS);
    // A job allowing 200 MiB: the memory grant (64 MiB, blocks already held count) bounds it.
    const job2 = hostileJob(
      greedyHttp('hog2'),
      { hosts: [`127.0.0.1:${port}`], http: { max_response_mb: 200 } },
      { url: `http://127.0.0.1:${port}/huge` },
    );
    const r2 = await runMeasured(job2);
    expect(r2.code).toBe(2);
    expect(report(r2).errors[0].message).toMatch(
      /plugin hog2: HTTP response larger than the \d+ bytes left in the memory grant \(memory_mb\)/,
    );
    expectBounded(r2, WALL_BOUND_MS);
  });

  it('a slow response: the call limit includes HTTP time; nothing keeps the process alive', async () => {
    const job = hostileJob(
      greedyHttp('dripper'),
      { hosts: [`127.0.0.1:${port}`], timeout_ms: 2000 },
      { url: `http://127.0.0.1:${port}/drip` },
    );
    const r = await runMeasured(job);
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toMatch(/^PLUGIN_/);
    expect(err.message).toContain('plugin dripper');
    expectBounded(r, WALL_BOUND_MS);
  });

  it('a host that never answers: the request and its retries end with the call; the CLI exits at once', async () => {
    const before = hits.filter((h) => h === '/never').length;
    const job = hostileJob(
      greedyHttp('hanger'),
      { hosts: [`127.0.0.1:${port}`], timeout_ms: 1500 },
      { url: `http://127.0.0.1:${port}/never` },
    );
    const r = await runMeasured(job);
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('PLUGIN_ERROR');
    expect(err.message).toContain('plugin hanger: call next_batch exceeded the 1500 ms time limit');
    expectBounded(r, WALL_BOUND_MS);
    // No retry after the run: one request was made, and its connection is gone.
    await new Promise((res) => setTimeout(res, 1500));
    expect(hits.filter((h) => h === '/never').length - before).toBe(1);
    expect(open).toBe(0);
  });
});

describe('6. SIGTERM during a plugin call', () => {
  it('stops the run within seconds, commits nothing, exits non-zero', async () => {
    const dir = hostilePlugin('spin_reader.wat', { name: 'spinner', capabilities: { timeout_ms: 120_000 } });
    const job = hostileJob(dir, { timeout_ms: 120_000 });
    const r = await runMeasured(job, { signalOn: { text: 'spinning', signals: ['SIGTERM'] } });
    expect(r.code).toBe(2);
    const err = report(r).errors[0];
    expect(err.code).toBe('INTERRUPTED');
    expect(err.message).toContain('plugin spinner: call next_batch stopped: interrupted by SIGTERM');
    expect(r.wallMs - (r.signalledAtMs[0] ?? 0)).toBeLessThan(5000);
    expectNothingWritten(job.out);
    expectBounded(r, WALL_BOUND_MS);
  });

  it('a second signal exits at once', async () => {
    const dir = hostilePlugin('spin_reader.wat', { name: 'spinner2', capabilities: { timeout_ms: 120_000 } });
    const job = hostileJob(dir, { timeout_ms: 120_000 });
    const r = await runMeasured(job, { signalOn: { text: 'spinning', signals: ['SIGINT', 'SIGTERM'] } });
    expect(r.signalledAtMs).toHaveLength(2);
    // The second signal exits at once (130); the first may already have ended the run (2).
    expect([130, 2]).toContain(r.code);
    expect(r.wallMs - (r.signalledAtMs[0] ?? 0)).toBeLessThan(2000);
    expectNothingWritten(job.out);
  });
});

describe('7. log volume per run', () => {
  it('40 MiB of log lines: the run writes its default 1 MiB, then one line says what was dropped', async () => {
    const good = goodBatch(3);
    const dir = hostilePlugin(
      'log_flood.wat',
      { name: 'chatter' },
      { GOOD: watString(good), GOOD_LEN: String(good.byteLength) },
    );
    const job = hostileJob(dir);
    const r = await runMeasured(job);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(report(r).rows.written).toBe(120);
    expect(r.stderr.length).toBeLessThan(1.5 * 1024 * 1024);
    const dropped = r.stderr.split('\n').filter((l) => l.includes('"plugin_logs_dropped"'));
    expect(dropped).toHaveLength(1);
    const line = JSON.parse(dropped[0] as string);
    expect(line.plugin).toBe('chatter');
    expect(line.lines).toBeGreaterThan(38_000);
    expect(line.message).toContain('plugin chatter: ');
    expect(line.message).toContain("or the run's 1048576 bytes (log_mb)");
    expectBounded(r, WALL_BOUND_MS);
  });
});

describe('also probed: host memory held for a plugin', () => {
  it('vars keyed by huge keys count against the budget (the key is held, not just the value)', async () => {
    const { openPlugin } = await import('../../host/plugins/load.js');
    const dir = hostilePlugin('var_hoard.wat', { name: 'hoarder', capabilities: { memory_mb: 64 } });
    const { instance } = await openPlugin(dir, { role: 'reader', requiredExports: ['hoard'] });
    let calls = 0;
    let denied: Error | undefined;
    try {
      for (; calls < 20 && !denied; calls++) await instance.call('hoard').catch((e: Error) => (denied = e));
    } finally {
      await instance.close();
    }
    expect(denied?.message).toMatch(
      /plugin hoarder: kernel memory budget exceeded \(capability kernel-memory/,
    );
    // 8 MiB keys held as text (16 MiB each) in a 64 MiB budget: refused on the 4th call at the latest.
    expect(calls).toBeLessThanOrEqual(4);
  });
});
