/**
 * An original-format S3 job (every value under connection.s3) through the CLI against radosgw,
 * with no S3_... or AWS_... variable set: it runs, stderr holds only our own JSON log lines (no AWS SDK
 * notice), and the run leaves no dativo-* folder in the temp directory.
 */

import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBucket } from '../../../host/sinks/store/s3.js';
import { reportOf, runCli } from '../../helpers/cli.js';
import { clearPrefix, REPO, type Rgw, startRgw, visibleRows } from './radosgw.js';

const BUCKET = 'compat-s3-vars';
const PREFIX = 'compat/readings/';
let rgw: Rgw;
let tmp: string;

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  rgw = await startRgw();
  await ensureBucket({ ...rgw.conn, bucket: BUCKET });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dativo-compat-s3-'));
});
afterAll(async () => {
  rgw?.client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('an original S3 job with its values under connection.s3', () => {
  it('runs with no S3_*/AWS_* variable, prints only our logs, leaves no temp folder', async () => {
    const dir = path.join(tmp, 'project');
    await cp(path.join(REPO, 'tests/fixtures/original-compat'), dir, { recursive: true });
    await mkdir(path.join(dir, 'data'));
    await mkdir(path.join(dir, 'tmp'));
    await writeFile(
      path.join(dir, 'data/nulls.csv'),
      'id,sensor,reading,count,day\n1,a,1.5,2,2024-01-02\n2,b,NULL,None,""\n',
    );
    await clearPrefix(rgw.client, BUCKET, PREFIX);

    const env: Record<string, string | undefined> = {
      COMPAT_S3_ENDPOINT: rgw.endpoint,
      COMPAT_S3_KEY: rgw.env.AWS_ACCESS_KEY_ID,
      COMPAT_S3_SECRET: rgw.env.AWS_SECRET_ACCESS_KEY,
      TMPDIR: path.join(dir, 'tmp'),
    };
    for (const k of Object.keys(process.env)) if (/^(S3_|AWS_|MINIO_)/.test(k)) env[k] = undefined;
    const r = await runCli(['run', '--config', 'jobs/readings_s3.yaml', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(2);
    expect(await visibleRows(rgw.client, BUCKET, PREFIX)).toBe(2);

    // Every stderr line is one of our JSON log records: no third-party notice or warning.
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');

    expect((await readdir(path.join(dir, 'tmp'))).filter((n) => n.startsWith('dativo-'))).toEqual([]);
  });
});
