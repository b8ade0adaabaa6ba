/**
 * `dativo run --openlineage URL` against a local receiver: a successful run sends START then
 * COMPLETE, a failed one START then FAIL, each pair under one run UUID, with the job named from
 * the tenant and job and the datasets from the job's source files and target (OpenLineage naming:
 * `file` + absolute path). COMPLETE counts the rows the run wrote; FAIL carries the error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenLineageEvent } from '../../host/cli/openlineage.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { copyQuickstart } from '../helpers/quickstart-copy.js';

let dir: string;
let server: Server;
let url: string;
const received: OpenLineageEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-lineage-'));
  await copyQuickstart(dir);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('OpenLineage events', () => {
  it('START then COMPLETE for a run that succeeds, START then FAIL for one that fails', async () => {
    const ok = await runCli(
      ['run', '--config', 'job.yaml', '--state-dir', 'state', '--json', '--openlineage', url],
      {
        cwd: dir,
        env: { DATIVO_OPENLINEAGE_NAMESPACE: 'acme-prod' },
      },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const rows = reportOf(ok).rows.written as number;
    expect(rows).toBeGreaterThan(0);
    expect(received.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    const [start, complete] = received as [OpenLineageEvent, OpenLineageEvent];
    expect(start.run.runId).toMatch(UUID);
    expect(complete.run.runId).toBe(start.run.runId);
    for (const e of [start, complete]) {
      expect(e.job).toEqual({ namespace: 'acme-prod', name: 'quickstart.job' });
      expect(e.inputs).toEqual([{ namespace: 'file', name: path.join(dir, 'data/sales_orders.csv') }]);
      expect(e.schemaURL).toBe('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent');
      expect(Date.parse(e.eventTime)).not.toBeNaN();
    }
    expect(start.outputs).toEqual([{ namespace: 'file', name: path.join(dir, 'output/quickstart') }]);
    expect(complete.outputs[0]?.outputFacets?.outputStatistics).toMatchObject({
      rowCount: rows,
      size: reportOf(ok).bytes.written,
    });

    received.length = 0;
    const bad = await runCli(
      ['run', '--config', 'broken.yaml', '--state-dir', 'state', '--openlineage', url],
      {
        cwd: dir,
      },
    );
    expect(bad.code, bad.stderr).toBe(2);
    expect(received.map((e) => e.eventType)).toEqual(['START', 'FAIL']);
    const [, fail] = received as [OpenLineageEvent, OpenLineageEvent];
    expect(fail.run.runId).toBe(received[0]?.run.runId);
    expect(fail.job).toEqual({ namespace: 'dativo', name: 'quickstart.broken' });
    expect(fail.run.facets?.errorMessage).toMatchObject({
      message: expect.stringMatching(/^VALIDATION_FAILED: /),
      programmingLanguage: 'TypeScript',
    });
  });

  it('an unreachable endpoint is a warning; the run still succeeds', async () => {
    const r = await runCli(
      [
        'run',
        '--config',
        'job.yaml',
        '--state-dir',
        'state2',
        '--openlineage',
        'http://127.0.0.1:1/api/v1/lineage',
      ],
      { cwd: dir, env: { DATIVO_OPENLINEAGE_NAMESPACE: undefined } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('"event_type":"notification_failed"');
    expect(r.stderr).toContain('"webhook":"openlineage"');
  });
});
