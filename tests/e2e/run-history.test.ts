/**
 * Run history end to end: real `dativo run`s (one succeeds, one fails strict validation) recorded
 * in the SQLite store of their state dir; `dativo runs` reads them from a new process; the console
 * is driven by a real headless Chromium (Debian's `chromium`, through puppeteer-core): the pages
 * render, the status filter works, the failed run shows its error. The browser writes the
 * screenshot used by docs/run-history.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine, RunEntry } from '../../host/store/types.js';
import { BIN, cliEnv, REPO, runCli } from '../helpers/cli.js';
import { copyQuickstart } from '../helpers/quickstart-copy.js';

let dir: string;
let stateDir: string;
const ids: Record<string, string> = {};

interface RunsJson {
  runs: RunEntry[];
  run: RunEntry;
  logs: LogLine[];
}

async function runsJson(args: string[]): Promise<RunsJson> {
  const r = await runCli(['runs', ...args, '--state-dir', stateDir, '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-history-'));
  stateDir = path.join(dir, 'state');
  await copyQuickstart(dir);
  const ok = await runCli(['run', '--config', 'job.yaml', '--state-dir', stateDir], { cwd: dir });
  expect(ok.code, ok.stderr).toBe(0);
  const bad = await runCli(['run', '--config', 'broken.yaml', '--state-dir', stateDir], { cwd: dir });
  expect(bad.code, bad.stderr).toBe(2);
  for (const r of (await runsJson(['list'])).runs) ids[r.job] = r.id;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dativo runs', () => {
  it('list: both runs, newest first, with status, rows and the failure', async () => {
    const { runs } = await runsJson(['list']);
    expect(runs.map((r: RunEntry) => [r.job, r.status, r.exitCode])).toEqual([
      ['broken', 'failed', 2],
      ['job', 'succeeded', 0],
    ]);
    const [failed, ok] = runs as [RunEntry, RunEntry];
    expect(ok.rows).toEqual({ read: 10, written: 10, invalid: 0 });
    expect(ok.files).toHaveLength(1);
    expect(ok.files[0]!.rows).toBe(10);
    expect(ok.origin).toBe('cli');
    expect(ok.peakRssMb).toBeGreaterThan(0);
    expect(failed.errorCode).toBe('VALIDATION_FAILED');
    expect(failed.errorMessage).toContain('strict validation failed: 1 issue(s) in 1 row(s)');
    expect(failed.rows.invalid).toBe(1);
    expect(failed.files).toEqual([]);
  });

  it('filters by status and job; the table has no colour codes when stdout is not a TTY', async () => {
    expect((await runsJson(['list', '--status', 'failed'])).runs.map((r: RunEntry) => r.job)).toEqual([
      'broken',
    ]);
    expect((await runsJson(['list', '--job', 'job'])).runs.map((r: RunEntry) => r.status)).toEqual([
      'succeeded',
    ]);
    expect((await runsJson(['list', '--since', '1h'])).runs).toHaveLength(2);
    const table = await runCli(['runs', 'list', '--state-dir', stateDir], { cwd: dir });
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+JOB\s+TENANT\s+STATUS/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('failed');
    expect(lines[1]).toContain('VALIDATION_FAILED');
    expect(table.stdout).not.toContain('\x1b[');
  });

  it('show and logs: the failed run explains itself; an unknown id exits 2', async () => {
    const show = await runsJson(['show', ids.broken!]);
    expect(show.run.status).toBe('failed');
    expect(
      show.logs.some((l: LogLine) => l.level === 'error' && l.message.includes('strict validation failed')),
    ).toBe(true);
    const logs = await runCli(['runs', 'logs', ids.broken!, '--state-dir', stateDir], { cwd: dir });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/ERROR strict validation failed/);
    const missing = await runCli(['runs', 'show', 'nope', '--state-dir', stateDir], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run nope');
  });
});

describe('dativo console in headless Chromium', () => {
  let server: ChildProcess;
  let url: string;
  let browser: Browser;
  let profile: string;

  beforeAll(async () => {
    server = spawn(process.execPath, [BIN, 'console', '--port', '0', '--state-dir', stateDir], {
      cwd: dir,
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let err = '';
      server.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /console on (http:\/\/[^\s"]+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`console exited ${code}: ${err}`)));
    });
    profile = await mkdtemp(path.join(os.tmpdir(), 'dativo-chromium-'));
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
      ],
    });
    console.log(`browser: ${await browser.version()}`);
  });
  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    await rm(profile, { recursive: true, force: true });
  });

  it('runs list renders both runs; the status filter narrows it; the failed run shows its error', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 700 });
    await page.goto(`${url}/runs`);
    const rows = () => page.$$eval('#runs tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-run')));
    expect(await rows()).toEqual([ids.broken, ids.job]);
    expect(await page.$$eval('[data-status]', (s) => s.map((e) => e.textContent))).toEqual([
      'failed',
      'succeeded',
    ]);
    await page.screenshot({ path: path.join(REPO, 'docs/run-history-console.png') });

    await page.select('#status', 'failed');
    await Promise.all([page.waitForNavigation(), page.click('#apply')]);
    expect(page.url()).toContain('status=failed');
    expect(await rows()).toEqual([ids.broken]);

    await Promise.all([page.waitForNavigation(), page.click(`a[href="/runs/${ids.broken}"]`)]);
    const error = await page.$eval('#error', (e) => e.textContent ?? '');
    expect(error).toContain('[VALIDATION_FAILED]');
    expect(error).toContain('strict validation failed');
    expect(await page.$eval('#logs', (e) => e.textContent ?? '')).toContain('ERROR strict validation failed');
    // Read-only without --token-file: no retry button.
    expect(await page.$('#retry')).toBeNull();
  });

  it('jobs page: one row per job with its last status and a rows-per-run bar', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/jobs`);
    const jobs = await page.$$eval('#jobs tbody tr', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-job'),
        tr.querySelector('[data-status]')?.textContent,
        tr.querySelectorAll('rect').length,
      ]),
    );
    expect(jobs).toEqual([
      ['broken', 'failed', 1],
      ['job', 'succeeded', 1],
    ]);
    const res = await fetch(`${url}/runs/${ids.job}/retry`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});
