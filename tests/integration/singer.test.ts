/**
 * Stripe-like and HubSpot-like Singer taps through `dativo run`, under bubblewrap (a local
 * executable) and in a hardened container (the locally built image), into Parquet read back by
 * DuckDB; the second run fetches only the new records (the tap gets --state from the commit).
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportOf } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { inlineData, type Launch, prepareSinger, runJob, workspace, writeJob } from './singer-helpers.js';

beforeAll(() => prepareSinger({ docker: true }));

const glob = (out: string) => `read_parquet('${out}/**/*.parquet')`;

async function stateOf(dir: string): Promise<Record<string, unknown>> {
  const { globSync } = await import('tinyglobby');
  const files = globSync('**/*.json', { cwd: dir, absolute: true });
  expect(files.length).toBe(1);
  return JSON.parse(await readFile(files[0] as string, 'utf8'));
}

describe.each<Launch>(['bwrap', 'docker'])('singer via %s', (launch) => {
  it('Stripe-like customers: typed Parquet, then only new records on the second run', async () => {
    const ws = await workspace();
    const spec = { kind: 'stripe' as const, stream: 'customers', contract: 'stripe_customers.yaml', launch };
    const cfg = async () =>
      launch === 'docker' ? { data: await inlineData(ws, 'stripe', 'customers') } : {};
    const job = await writeJob(ws, { ...spec, config: await cfg() });
    const r1 = await runJob(ws, job);
    const rep1 = reportOf(r1);
    expect(rep1.status, r1.stderr).toBe('succeeded');
    expect(rep1.rows).toEqual({ read: 8, written: 8, invalid: 0 });
    const rows = await duck<{
      id: string;
      created: bigint;
      balance: bigint;
      delinquent: boolean;
      metadata: string;
    }>(`SELECT id, created, balance, delinquent, metadata FROM ${glob(ws.out)} ORDER BY id`);
    expect(rows.length).toBe(8);
    expect(rows[0]).toEqual({
      id: 'cus_0001',
      created: 1717203600n,
      balance: -200n,
      delinquent: false,
      metadata: '{"tier":"gold"}',
    });
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM ${glob(ws.out)}`,
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
      id: 'VARCHAR',
      created: 'BIGINT',
      balance: 'BIGINT',
      delinquent: 'BOOLEAN',
    });
    expect(await stateOf(ws.state)).toMatchObject({
      singer: { bookmarks: { customers: { created: 1717228800 } } },
    });

    const fresh = [9, 10].map((i) => ({
      id: `cus_${String(i).padStart(4, '0')}`,
      email: `new${i}@example.com`,
      name: `New ${i}`,
      created: 1717300000 + i,
      balance: i,
      delinquent: false,
      metadata: null,
    }));
    await appendFile(
      path.join(ws.data, 'stripe/customers.jsonl'),
      `${fresh.map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
    if (launch === 'docker') await writeJob(ws, { ...spec, config: await cfg() });
    const rep2 = reportOf(await runJob(ws, job));
    expect(rep2.status).toBe('succeeded');
    expect(rep2.rows.read).toBe(2);
    const all = await duck<{ n: bigint; d: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${glob(ws.out)}`,
    );
    expect(all[0]).toEqual({ n: 10n, d: 10n });
    expect(await stateOf(ws.state)).toMatchObject({
      singer: { bookmarks: { customers: { created: 1717300010 } } },
    });
  });

  it('HubSpot-like contacts: ISO timestamps become UTC timestamps; the second run reads nothing old', async () => {
    const ws = await workspace();
    const spec = { kind: 'hubspot' as const, stream: 'contacts', contract: 'hubspot_contacts.yaml', launch };
    const cfg = async () =>
      launch === 'docker' ? { data: await inlineData(ws, 'hubspot', 'contacts') } : {};
    const job = await writeJob(ws, { ...spec, config: await cfg() });
    const rep1 = reportOf(await runJob(ws, job));
    expect(rep1.status).toBe('succeeded');
    expect(rep1.rows.written).toBe(7);
    const types = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM ${glob(ws.out)}`,
    );
    expect(types.find((t) => t.column_name === 'updatedAt')?.column_type).toBe('TIMESTAMP WITH TIME ZONE');
    const last = await duck<{ m: string }>(`SELECT max(updatedAt)::VARCHAR AS m FROM ${glob(ws.out)}`);
    expect(last[0]?.m).toMatch(/^2024-06-07 10:30:00/);

    // Nothing new: the tap gets the bookmark and emits no record.
    const rep2 = reportOf(await runJob(ws, job));
    expect(rep2.status).toBe('succeeded');
    expect(rep2.rows.read).toBe(0);
    await appendFile(
      path.join(ws.data, 'hubspot/contacts.jsonl'),
      `${JSON.stringify({ id: '999', email: 'late@example.org', firstname: 'L', lastname: 'Ate', createdAt: '2024-06-20T00:00:00Z', updatedAt: '2024-06-21T00:00:00Z', archived: true })}\n`,
    );
    if (launch === 'docker') await writeJob(ws, { ...spec, config: await cfg() });
    const rep3 = reportOf(await runJob(ws, job));
    expect(rep3.rows.read).toBe(1);
    const n = await duck<{ n: bigint }>(`SELECT count(*) AS n FROM ${glob(ws.out)}`);
    expect(n[0]?.n).toBe(8n);
  });
});

it('HubSpot-like deals under bubblewrap: decimal strings and dates parsed by the contract', async () => {
  const ws = await workspace();
  const job = await writeJob(ws, {
    kind: 'hubspot',
    stream: 'deals',
    contract: 'hubspot_deals.yaml',
    launch: 'bwrap',
  });
  const rep = reportOf(await runJob(ws, job));
  expect(rep.status).toBe('succeeded');
  expect(rep.source.sandbox).toBe('bubblewrap');
  const rows = await duck<{ amount: number; closedate: string; t: string }>(
    `SELECT amount::DOUBLE AS amount, closedate::VARCHAR AS closedate, typeof(amount) AS t FROM ${glob(ws.out)} ORDER BY id LIMIT 1`,
  );
  expect(rows[0]).toEqual({ amount: 1500.5, closedate: '2024-07-01', t: 'DECIMAL(12,2)' });
});

it('unsandboxed: true runs the tap plainly and says so in the logs and the run report', async () => {
  const ws = await workspace();
  const job = await writeJob(ws, {
    kind: 'stripe',
    stream: 'charges',
    contract: 'stripe_customers.yaml',
    launch: 'unsandboxed',
    name: 'plain',
  });
  const r = await runJob(ws, job);
  expect(r.stderr).toMatch(/WITHOUT a sandbox \(unsandboxed: true\)/);
  const rep = reportOf(r);
  expect(rep.source.sandbox).toBe('none');
  expect(rep.source.unsandboxed).toBe(true);
});
