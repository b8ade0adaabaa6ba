/**
 * Issue: `dativo validate --explain` covers nested keys of an original job (`source.files[].*`,
 * `source.incremental.*`, `target.connection.s3.*`): each is used, migrated or ignored, with why.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../../helpers/cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-explain-'));
  await cp(path.join(REPO, 'tests/fixtures/original-compat'), tmp, { recursive: true });
  await mkdir(path.join(tmp, 'data'), { recursive: true });
  await writeFile(path.join(tmp, 'data/nulls.csv'), 'id,sensor,reading,count,day\n1,s1,1.5,2,2024-01-02\n');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

interface Explained {
  key: string;
  fate: string;
  why: string;
  warn?: boolean;
}

describe('validate --explain on nested keys', () => {
  it('lists every nested key with its fate and why, in file order, without secrets', async () => {
    const r = await runCli(
      ['validate', '--config', 'jobs/readings_explain_nested.yaml', '--explain', '--json'],
      {
        cwd: tmp,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const explain = JSON.parse(r.stdout).results[0].explain as Explained[];
    const byKey = new Map(explain.map((e) => [e.key, e]));
    const fate = (k: string) => byKey.get(k)?.fate;
    expect(fate('source.files[0].path')).toBe('used');
    expect(byKey.get('source.files[0].id')?.why).toContain('file_<id>');
    expect(fate('source.incremental')).toBe('used');
    expect(byKey.get('source.incremental.strategy')?.why).toContain('incremental strategy');
    expect(byKey.get('source.incremental.lookback_days')?.why).toContain('days');
    expect(byKey.get('source.incremental.state_path')?.why).toContain('.original.bak');
    expect(byKey.get('target.connection.s3.prefix')?.why).toContain('the original ignored it');
    expect(byKey.get('target.connection.s3.secret_access_key')?.why).toContain('masked');
    expect(byKey.get('target.branch')).toMatchObject({ fate: 'ignored' });
    expect(byKey.get('target.branch')?.why).toContain('main branch');
    expect(byKey.get('logging.level')).toMatchObject({ fate: 'used' });
    expect(byKey.get('logging.redaction')).toMatchObject({ fate: 'ignored', warn: true });
    // Every key of the file is there once, parents before children, in file order.
    const keys = explain.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.indexOf('source.files')).toBeLessThan(keys.indexOf('source.files[0].path'));
    expect(keys.indexOf('source.files[0].id')).toBeLessThan(keys.indexOf('source.incremental.strategy'));
    expect(keys.filter((k) => k.startsWith('target.connection.s3.'))).toHaveLength(7);
    expect(explain.every((e) => ['used', 'migrated', 'ignored'].includes(e.fate) && e.why.length > 10)).toBe(
      true,
    );
    expect(r.stdout + r.stderr).not.toContain('explain-secret');
  });

  it('the human form prints one line per nested key', async () => {
    const r = await runCli(['validate', '--config', 'jobs/readings_explain_nested.yaml', '--explain'], {
      cwd: tmp,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ {2}source\.incremental\.lookback_days: used — /m);
    expect(r.stderr).toMatch(/^ {2}target\.branch: ignored — Nessie branches are not used/m);
  });
});
