/**
 * `dativo catalog serve` as users start it: the built CLI prints its URL on stdout, serves the
 * REST catalog over a local warehouse with the token from --token-file, and exits 0 on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cliEnv, REPO, runCli } from '../helpers/cli.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-e2e-catalog-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

describe('dativo catalog serve', () => {
  it('prints its URL, requires the token from --token-file, and stops cleanly on SIGTERM', async () => {
    const tokenFile = path.join(tmp, 'token');
    await writeFile(tokenFile, 'tok-e2e-123\n');
    const wh = path.join(tmp, 'wh');
    const child = spawn(
      process.execPath,
      [BIN, 'catalog', 'serve', '--warehouse', wh, '--port', '0', '--token-file', tokenFile],
      { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const line = /^(http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
        if (line?.[1]) resolve(line[1]);
      });
      child.on('close', () => reject(new Error(`exited before serving: ${stderr}`)));
    });
    try {
      expect((await fetch(`${url}/v1/config`)).status).toBe(401);
      const auth = { authorization: 'Bearer tok-e2e-123' };
      const config = (await (await fetch(`${url}/v1/config`, { headers: auth })).json()) as {
        defaults: Record<string, string>;
        endpoints: string[];
      };
      expect(config.defaults.warehouse).toBe(`file://${wh}`);
      expect(config.endpoints).toContain('POST /v1/{prefix}/tables/rename');
      const ns = await fetch(`${url}/v1/namespaces`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ namespace: ['e2e'] }),
      });
      expect(ns.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('tok-e2e-123');
  });

  it('refuses an empty token file with exit 2 and a message naming it', async () => {
    const tokenFile = path.join(tmp, 'empty');
    await writeFile(tokenFile, '\n');
    const r = await runCli(['catalog', 'serve', '--warehouse', tmp, '--token-file', tokenFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--token-file ${tokenFile} is empty`);
  });
});
