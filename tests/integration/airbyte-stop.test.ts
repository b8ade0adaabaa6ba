/**
 * Stopping connectors: a container that ignores SIGTERM is killed once the grace period is over
 * (and removed), whether the stop comes from the source's close() or from SIGTERM to `dativo run`,
 * and an interrupted run commits nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJob } from '../../host/config/index.js';
import { createAirbyteSource } from '../../host/engines/airbyte/index.js';
import { runContainer } from '../../host/engines/docker/index.js';
import { silentLogger } from '../../host/observability/logger.js';
import { BIN, cliEnv, REPO, reportOf } from '../helpers/cli.js';
import { visibleCount } from '../helpers/duckdb.js';
import { JOBS, leftoverContainers, startDockerAndBuild, tempDir } from './airbyte-setup.js';

const STRIPE = path.join(JOBS, 'stripe_customers.yaml');
/** stop_grace_seconds in the job file. */
const GRACE_MS = 2000;
/** What a loaded machine may add to a stop (docker kill, wait, remove). */
const SLACK_MS = 10_000;

function envFor(dir: string): Record<string, string> {
  return {
    OUT_DIR: path.join(dir, 'out'),
    STATE_DIR: path.join(dir, 'state'),
    STRIPE_API_KEY: 'sk_test_stop',
    CONNECTOR_MODE: 'ignore_sigterm',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

beforeAll(() => startDockerAndBuild());

describe('stopping a connector', () => {
  it('runContainer: SIGTERM ends a well-behaved container; one ignoring it is killed after the grace period', async () => {
    const spec = {
      image: 'dativo-test/busybox:local',
      args: [] as string[],
      network: 'none' as const,
    };
    const polite = await runContainer({
      ...spec,
      entrypoint: ['/bin/sh', '-c', 'while :; do sleep 1; done'],
    });
    const t0 = Date.now();
    await polite.stop(GRACE_MS);
    const politeStatus = await polite.wait();
    await polite.remove();
    expect(politeStatus.killed).toBe(false);

    const stubborn = await runContainer({
      ...spec,
      entrypoint: ['/bin/sh', '-c', "trap '' TERM; while :; do sleep 1; done"],
    });
    await sleep(500);
    const t1 = Date.now();
    await stubborn.stop(GRACE_MS);
    const elapsed = Date.now() - t1;
    const status = await stubborn.wait();
    await stubborn.remove();
    expect(status.killed).toBe(true);
    expect(status.exitCode).toBe(137);
    expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(elapsed).toBeLessThan(GRACE_MS + SLACK_MS);
    expect(t1 - t0).toBeGreaterThan(0);
    const left = leftoverContainers().map((id) => id.slice(0, 12));
    expect(left).not.toContain(polite.id.slice(0, 12));
    expect(left).not.toContain(stubborn.id.slice(0, 12));
  });

  it("the source's close() returns within the grace period plus a few seconds and leaves no container", async () => {
    const dir = tempDir();
    const job = await loadJob(STRIPE, { cwd: REPO, env: { ...process.env, ...envFor(dir) } });
    const source = createAirbyteSource(job, 1);
    const controller = new AbortController();
    await source.open({ state: {}, logger: silentLogger(), signal: controller.signal, batchSize: 1 });
    const it = source.read()[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value?.batch.numRows).toBe(1);
    expect(leftoverContainers('stripe_customers')).toHaveLength(1);
    const t0 = Date.now();
    await source.close();
    const elapsed = Date.now() - t0;
    await it.return?.(undefined);
    expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(elapsed).toBeLessThan(GRACE_MS + SLACK_MS);
    expect(leftoverContainers('stripe_customers')).toEqual([]);
  });

  it('SIGTERM to `dativo run` stops the connector, commits nothing and exits 2 (interrupted)', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [BIN, 'run', '--config', STRIPE, '--json'], {
      cwd: REPO,
      env: cliEnv(envFor(dir)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // The read container is up and has streamed records (the connector prints one a second).
    await until('the connector to stream records', () => stderr.includes('ignoring SIGTERM'), 120_000);
    await sleep(2500);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const elapsed = Date.now() - t0;
    expect(code, stderr.slice(-3000)).toBe(2);
    expect(elapsed).toBeLessThan(GRACE_MS + SLACK_MS);
    const report = reportOf({ code, signal: null, stdout, stderr });
    expect(report.status).toBe('interrupted');
    expect(report.errors[0].code).toBe('INTERRUPTED');
    expect(report.rows.written).toBe(0);
    const out = path.join(dir, 'out');
    expect(await visibleCount(out)).toBe(0);
    const commits = path.join(out, '_dativo/commits');
    expect(existsSync(commits) ? readdirSync(commits) : []).toEqual([]);
    const staging = path.join(out, '_dativo/staging');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    expect(existsSync(path.join(dir, 'state/acme/stripe.customers.state.json'))).toBe(false);
    expect(leftoverContainers('stripe_customers')).toEqual([]);
  });
});
