/**
 * Issue #21, hostile Python custom writers through `dativo run`: symbolic links under output_base
 * are never followed (the run fails naming the link, nothing is published, none of what they point
 * at reaches the target), and a file beyond the writer's memory grant ends the plugin, not the
 * host: exit 2 with the limit named, nothing published.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const JOBS = 'tests/fixtures/python-plugins/jobs';
const SLOW = 300_000;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'py-writer-hostile-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function run(job: string) {
  const out = path.join(tmp, job);
  const r = await runCli(
    ['run', '--config', `${JOBS}/${job}.yaml`, '--state-dir', path.join(tmp, `s-${job}`)],
    {
      env: { OUT_DIR: out },
      timeoutMs: SLOW,
    },
  );
  return { out, r };
}

/** Every file under the target folder, with its text (the protocol's records included). */
async function everything(dir: string): Promise<string> {
  const files = await glob('**/*', { cwd: dir, dot: true }).catch(() => [] as string[]);
  const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  return files.map((f, i) => `${f}\n${texts[i]}`).join('\n');
}

describe('hostile Python custom writers', () => {
  it(
    'a symbolic link under output_base is not followed: exit 2 naming it, nothing published',
    async () => {
      const { out, r } = await run('employee_symlink_writer');
      expect(r.code).toBe(2);
      expect(r.signal).toBeNull();
      expect(r.stderr).toContain(
        "[PLUGIN_BAD_OUTPUT] plugin symlink_writer: /dativo/output/leak.py is a symbolic link; a writer's outputs must be regular files",
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const all = await everything(out);
      // No output, no commit record, and nothing of the link's target anywhere on the target.
      expect(await glob(['**/*', '!_dativo/staging/**'], { cwd: out }).catch(() => [])).toEqual([]);
      expect(all).not.toContain('_js_call');
    },
    SLOW + 20_000,
  );

  it(
    'a file beyond the memory grant ends the plugin, not the host: exit 2 naming the limit',
    async () => {
      const { out, r } = await run('employee_huge_writer');
      expect(r.code).toBe(2);
      // The CLI itself reported the failure: the host process was not killed.
      expect(r.signal).toBeNull();
      expect(r.stderr).toMatch(/\[PLUGIN_ERROR\] plugin huge_writer: .*the Python runtime/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await glob(['**/*', '!_dativo/staging/**'], { cwd: out }).catch(() => [])).toEqual([]);
    },
    SLOW + 20_000,
  );
});
