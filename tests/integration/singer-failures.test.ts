/**
 * Singer taps that fail: a crash mid-stream commits nothing and leaves the state as it was; a
 * malformed line fails with its line number; a huge record passes whole; a tap ignoring SIGTERM
 * is killed after the grace period. Under bubblewrap and in a container.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportOf } from '../helpers/cli.js';
import { duck, visibleCount } from '../helpers/duckdb.js';
import {
  IMAGE,
  inlineData,
  type Launch,
  prepareSinger,
  runJob,
  startJob,
  workspace,
  writeJob,
} from './singer-helpers.js';

beforeAll(() => prepareSinger({ docker: true }));

function tapProcesses(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tap_fixture.py')) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

function tapContainers(): number {
  const out = execFileSync('docker', ['ps', '-q', '--filter', `ancestor=${IMAGE}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).length;
}

describe.each<Launch>(['bwrap', 'docker'])('singer failures via %s', (launch) => {
  const base = { kind: 'stripe' as const, stream: 'customers', contract: 'stripe_customers.yaml', launch };
  const inline = async (ws: Awaited<ReturnType<typeof workspace>>) =>
    launch === 'docker' ? { data: await inlineData(ws, 'stripe', 'customers') } : {};

  it('a crash mid-stream commits nothing and leaves the state unchanged', async () => {
    const ws = await workspace();
    const job = await writeJob(ws, { ...base, config: await inline(ws) });
    expect(reportOf(await runJob(ws, job)).status).toBe('succeeded');
    const stateDir = ws.state;
    const snapshot = execFileSync('bash', ['-c', `cat $(find ${stateDir} -name '*.json' | sort)`], {
      encoding: 'utf8',
    });
    // Rewind the data: the crash run would see 8 records again if the state were ignored.
    await writeJob(ws, { ...base, config: { ...(await inline(ws)), mode: 'crash', crash_after: 1 } });
    const { appendFile } = await import('node:fs/promises');
    const more = [11, 12, 13, 14].map((i) => ({
      id: `cus_00${i}`,
      email: null,
      name: 'x',
      created: 1717400000 + i,
      balance: 0,
      delinquent: false,
      metadata: null,
    }));
    await appendFile(
      `${ws.data}/stripe/customers.jsonl`,
      `${more.map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
    await writeJob(ws, { ...base, config: { ...(await inline(ws)), mode: 'crash', crash_after: 2 } });
    const r = await runJob(ws, job);
    const rep = reportOf(r);
    expect(rep.status).toBe('failed');
    expect(r.code).toBe(2);
    expect(rep.errors[0].message).toMatch(/exited with code 3/);
    expect(rep.errors[0].message).toMatch(/simulated crash/);
    expect(await visibleCount(ws.out)).toBe(8);
    const after = execFileSync('bash', ['-c', `cat $(find ${stateDir} -name '*.json' | sort)`], {
      encoding: 'utf8',
    });
    expect(after).toBe(snapshot);
  });

  it('a malformed line fails the run with its line number', async () => {
    const ws = await workspace();
    const job = await writeJob(ws, { ...base, config: { ...(await inline(ws)), mode: 'malformed' } });
    const rep = reportOf(await runJob(ws, job));
    expect(rep.status).toBe('failed');
    expect(rep.errors[0].code).toBe('SOURCE_PROTOCOL');
    // SCHEMA, ACTIVATE_VERSION, RECORD, RECORD, STATE, then the broken line.
    expect(rep.errors[0].message).toMatch(/line 6 is not a valid Singer message: invalid JSON/);
    expect(await visibleCount(ws.out)).toBe(0);
  });

  it('a huge record (8 MiB) arrives whole', async () => {
    const ws = await workspace();
    const job = await writeJob(ws, {
      ...base,
      config: { ...(await inline(ws)), mode: 'huge', huge_bytes: 8 << 20 },
    });
    const rep = reportOf(await runJob(ws, job));
    expect(rep.status).toBe('succeeded');
    const rows = await duck<{ m: bigint; n: bigint }>(
      `SELECT max(length(name)) AS m, count(*) AS n FROM read_parquet('${ws.out}/**/*.parquet')`,
    );
    expect(rows[0]).toEqual({ m: BigInt(8 << 20), n: 8n });
  });

  it('a tap ignoring SIGTERM is killed after the grace period, and nothing is committed', async () => {
    const ws = await workspace();
    const job = await writeJob(ws, {
      ...base,
      config: { ...(await inline(ws)), mode: 'ignore_sigterm' },
      options: { stop_grace_seconds: 2 },
    });
    const child = startJob(ws, job);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tap never hung:\n${stderr}`)), 120_000);
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('ignoring SIGTERM and hanging')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const took = Date.now() - t0;
    expect(code).toBe(2);
    expect(JSON.parse(stdout).status).toBe('interrupted');
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(30_000);
    expect(await visibleCount(ws.out)).toBe(0);
    if (launch === 'docker') expect(tapContainers()).toBe(0);
    else expect(tapProcesses()).toBe(0);
  });
});
