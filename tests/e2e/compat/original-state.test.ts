/**
 * Issue: original state files keep working. A state file written by the Python version (spec §3/§9:
 * `{tenant}/{type}.{object}.state.json`, `file_<path as written>` keys, naive local times with
 * microseconds) resumes where it stopped, is migrated to our keys on the first commit with a
 * backup kept, and a state file we cannot understand stops the run naming the file and the key.
 */
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../../helpers/cli.js';
import { visibleCount } from '../../helpers/duckdb.js';

const FIXTURE = path.join(REPO, 'tests/fixtures/original-compat');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-state-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** The original wrote `datetime.fromtimestamp(mtime).isoformat()`: naive local time, microseconds. */
function naiveLocalIso(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

function rows(from: number, n: number): string {
  const lines = ['id,sensor,reading,count,day'];
  for (let i = from; i < from + n; i++) lines.push(`${i},s${i % 7},${i}.5,${i},2024-01-${p2((i % 28) + 1)}`);
  return `${lines.join('\n')}\n`;
}
const p2 = (n: number) => String(n).padStart(2, '0');

/** A working folder laid out like an original project: job, asset, data, state. */
async function project(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(path.join(dir, 'data/day1.csv'), rows(1, 40));
  await writeFile(path.join(dir, 'data/day2.csv'), rows(1001, 25));
  const t1 = new Date('2024-03-01T08:00:00.250Z');
  await utimes(path.join(dir, 'data/day1.csv'), t1, t1);
  return dir;
}

const statePathIn = (dir: string) => path.join(dir, '.local/state/acme/csv.readings.state.json');

function run(dir: string) {
  return runCli(['run', '--config', 'jobs/readings_incremental.yaml', '--json'], {
    cwd: dir,
    env: { STATE_DIR: undefined },
  });
}

describe('a state file of the original system', () => {
  it('resumes: only the file not in it is read; migrated on commit with a backup', async () => {
    const dir = await project('resume');
    const day1Mtime = new Date('2024-03-01T08:00:00.250Z');
    const original = {
      'file_data/day1.csv': { last_modified: naiveLocalIso(day1Mtime), file_id: 'data/day1.csv' },
    };
    const originalText = JSON.stringify(original, null, 2);
    await mkdir(path.dirname(statePathIn(dir)), { recursive: true });
    await writeFile(statePathIn(dir), originalText);

    const first = await run(dir);
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.read).toBe(25);
    expect(reportOf(first).rows.written).toBe(25);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(25);

    // The backup is the original file, byte for byte; the live file is ours now.
    expect(await readFile(`${statePathIn(dir)}.original.bak`, 'utf8')).toBe(originalText);
    const migrated = JSON.parse(await readFile(statePathIn(dir), 'utf8'));
    expect(typeof migrated._dativo_commit).toBe('string');
    expect(migrated['file_data/day1.csv']).toBeUndefined();
    expect(migrated[`file_${path.join(dir, 'data/day1.csv')}`].file_id).toBe('data/day1.csv');
    expect(Object.keys(migrated)).toContain(`file_${path.join(dir, 'data/day2.csv')}`);

    // Second run: nothing changed, nothing read.
    const second = await run(dir);
    expect(second.code, second.stderr).toBe(0);
    expect(reportOf(second).status).toBe('nothing_new');
    expect(reportOf(second).rows.read).toBe(0);

    // A new day2 with 10 more rows: only it is read again.
    await writeFile(path.join(dir, 'data/day2.csv'), rows(1001, 35));
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(dir, 'data/day2.csv'), later, later);
    const third = await run(dir);
    expect(third.code, third.stderr).toBe(0);
    expect(reportOf(third).rows.read).toBe(35);
    expect(await visibleCount(path.join(dir, 'out'))).toBe(60);
    expect(await readFile(`${statePathIn(dir)}.original.bak`, 'utf8')).toBe(originalText);
  });

  it('an entry that cannot be read exits 2 naming the file and the key; nothing is written', async () => {
    const dir = await project('corrupt');
    await mkdir(path.dirname(statePathIn(dir)), { recursive: true });
    const text = JSON.stringify({ 'file_data/day1.csv': { last_modified: 'last tuesday', file_id: 'x' } });
    await writeFile(statePathIn(dir), text);
    const r = await run(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(statePathIn(dir));
    expect(r.stderr).toContain('file_data/day1.csv');
    expect(r.stderr).toContain('last tuesday');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    expect(await readFile(statePathIn(dir), 'utf8')).toBe(text);
    expect(await visibleCount(path.join(dir, 'out')).catch(() => 0)).toBe(0);
  });

  it('a state file that is not JSON exits 2 naming the file', async () => {
    const dir = await project('not-json');
    await mkdir(path.dirname(statePathIn(dir)), { recursive: true });
    await writeFile(statePathIn(dir), '{"file_data/day1.csv": {"last_modified": ');
    const r = await run(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(statePathIn(dir));
    expect(r.stderr).toContain('not valid JSON');
  });
});
