/**
 * Issue: markdown_kv (spec §13). Documents in the original's Markdown-KV format (front matter,
 * `# sections`, `key:: value` with indented continuation lines) are read as rows, and
 * `target.markdown_kv_storage` lays rows out as the original did in each storage mode. Original-format
 * jobs drive the CLI; DuckDB reads the Parquet back.
 */
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reportOf, runCli } from '../../helpers/cli.js';
import { duck, visibleCount } from '../../helpers/duckdb.js';

const FIXTURE = path.join(REPO, 'tests/fixtures/original-compat');
let tmp: string;
let dir: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'compat-mdkv-'));
  dir = path.join(tmp, 'project');
  await cp(FIXTURE, dir, { recursive: true });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const run = (job: string, cwd = dir) =>
  runCli(['run', '--config', `jobs/markdown_kv/${job}.yaml`, '--json'], { cwd });
const parquet = (sub: string, cwd = dir) => `read_parquet('${path.join(cwd, 'out', sub)}/**/*.parquet')`;

describe('markdown_kv as a source', () => {
  it('each document is one row: front matter and section keys as columns, typed by the contract', async () => {
    const r = await run('rows');
    expect(r.code, r.stderr).toBe(0);
    expect(reportOf(r).rows.written).toBe(3);
    const rows = await duck<Record<string, unknown>>(
      `SELECT doc_id, title, model, temperature, reviewer, summary, typeof(temperature) AS t FROM ${parquet('rows')} ORDER BY doc_id`,
    );
    expect(rows).toEqual([
      {
        doc_id: 'claude-eval', // no front matter id: the file name
        title: null,
        model: 'claude',
        temperature: 0.2,
        reviewer: null, // `reviewer::` with no value
        summary: null,
        t: 'DOUBLE',
      },
      {
        doc_id: 'eval-001',
        title: 'GPT-4 evaluation',
        model: 'gpt-4',
        temperature: 0.7,
        reviewer: 'ana',
        summary: 'The model answered\n     every question in time', // continuation line kept as written
        t: 'DOUBLE',
      },
      {
        doc_id: 'eval-003',
        title: 'Run',
        model: 'llama-3',
        temperature: 1,
        reviewer: 'bo',
        summary: 'fast',
        t: 'DOUBLE',
      },
    ]);
  });

  it('file_modified_time: an unchanged document is not read again, a touched one is', async () => {
    const cwd = path.join(tmp, 'incremental');
    await cp(FIXTURE, cwd, { recursive: true });
    const first = await run('rows_incremental', cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(reportOf(first).rows.written).toBe(3);
    const second = await run('rows_incremental', cwd);
    expect(second.code, second.stderr).toBe(0);
    expect(reportOf(second).status).toBe('nothing_new');
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(cwd, 'markdown_kv/docs/claude-eval.md'), later, later);
    const third = await run('rows_incremental', cwd);
    expect(third.code, third.stderr).toBe(0);
    expect(reportOf(third).rows.read).toBe(1);
    expect(await visibleCount(path.join(cwd, 'out/rows_incremental'))).toBe(4);
  });

  it('raw_file storage passes the rows through unchanged, as the original did', async () => {
    const r = await run('raw_file');
    expect(r.code, r.stderr).toBe(0);
    const rows = await duck(`SELECT doc_id, model FROM ${parquet('raw_file')} ORDER BY doc_id`);
    expect(rows).toEqual([
      { doc_id: 'claude-eval', model: 'claude' },
      { doc_id: 'eval-001', model: 'gpt-4' },
      { doc_id: 'eval-003', model: 'llama-3' },
    ]);
  });
});

describe('markdown_kv_storage as a target', () => {
  it('string: one {doc_id, markdown_kv_content} row per document, the document verbatim', async () => {
    const r = await run('string');
    expect(r.code, r.stderr).toBe(0);
    const rows = await duck<{ doc_id: string; markdown_kv_content: string }>(
      `SELECT doc_id, markdown_kv_content FROM ${parquet('string')} ORDER BY doc_id`,
    );
    expect(rows.map((x) => x.doc_id)).toEqual(['claude-eval', 'eval-001', 'eval-003']);
    const original = await readFile(path.join(dir, 'markdown_kv/docs/gpt4-eval.mdkv'), 'utf8');
    expect(rows[1]?.markdown_kv_content).toBe(original);
  });

  it('string from a CSV source: each record becomes a document with front matter, `id` its doc_id', async () => {
    const csv = ['id,sensor,reading,count,day', '7,s1,1.5,3,2024-01-02', '8,s2,,4,2024-01-03'].join('\n');
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'data/readings.csv'), `${csv}\n`);
    const r = await runCli(['run', '--config', 'jobs/markdown_kv/readings_to_string.yaml', '--json'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const rows = await duck<{ doc_id: string; markdown_kv_content: string }>(
      `SELECT doc_id, markdown_kv_content FROM ${parquet('readings_string')} ORDER BY doc_id`,
    );
    expect(rows.map((x) => x.doc_id)).toEqual(['7', '8']);
    expect(rows[0]?.markdown_kv_content).toBe(
      ['---', 'id: "7"', '---', '', 'sensor:: s1', 'reading:: 1.5', 'count:: 3', 'day:: 2024-01-02'].join(
        '\n',
      ),
    );
    expect(rows[1]?.markdown_kv_content).toContain('\nreading:: \n');
  });

  it('structured row_per_kv: one row per pair with section, JSON detection and document order', async () => {
    const r = await run('row_per_kv');
    expect(r.code, r.stderr).toBe(0);
    expect(await visibleCount(path.join(dir, 'out/row_per_kv'))).toBe(16);
    const perDoc = await duck(
      `SELECT doc_id, count(*)::INT AS n, max(ord)::INT AS last FROM ${parquet('row_per_kv')} GROUP BY doc_id ORDER BY doc_id`,
    );
    expect(perDoc).toEqual([
      { doc_id: 'claude-eval', n: 3, last: 2 },
      { doc_id: 'eval-001', n: 8, last: 7 },
      { doc_id: 'eval-003', n: 5, last: 4 },
    ]);
    const doc1 = await duck(
      `SELECT section, key, value, value_json, ord::INT AS ord FROM ${parquet('row_per_kv')} WHERE doc_id = 'eval-001' ORDER BY ord`,
    );
    expect(doc1).toEqual([
      { section: '_front_matter', key: 'doc_id', value: 'eval-001', value_json: null, ord: 0 },
      { section: '_front_matter', key: 'title', value: 'GPT-4 evaluation', value_json: null, ord: 1 },
      {
        section: '_front_matter',
        key: 'tags',
        value: '["llm","eval"]',
        value_json: '["llm","eval"]',
        ord: 2,
      },
      { section: 'Run', key: 'model', value: 'gpt-4', value_json: null, ord: 3 },
      { section: 'Run', key: 'temperature', value: '0.7', value_json: '0.7', ord: 4 },
      {
        section: 'Run',
        key: 'config',
        value: '{"top_p": 0.9, "max_tokens": 512}',
        value_json: '{"top_p": 0.9, "max_tokens": 512}',
        ord: 5,
      },
      {
        section: 'Notes',
        key: 'summary',
        value: 'The model answered\n     every question in time',
        value_json: null,
        ord: 6,
      },
      { section: 'Notes', key: 'reviewer', value: 'ana', value_json: null, ord: 7 },
    ]);
    const sections = await duck(
      `SELECT DISTINCT section FROM ${parquet('row_per_kv')} WHERE doc_id = 'claude-eval'`,
    );
    expect(sections).toEqual([{ section: '_default' }]);
    const ts = await duck(
      `SELECT count(DISTINCT extracted_at)::INT AS n, typeof(any_value(extracted_at)) AS t FROM ${parquet('row_per_kv')}`,
    );
    // An ISO instant with Z: stored UTC-adjusted, one value for the whole run.
    expect(ts).toEqual([{ n: 1, t: 'TIMESTAMP WITH TIME ZONE' }]);
  });

  it('structured document_level: one row per document, sections as a JSON array, title resolved', async () => {
    const r = await run('document_level');
    expect(r.code, r.stderr).toBe(0);
    const rows = await duck(
      `SELECT doc_id, title, json_array_length(sections::JSON)::INT AS n,
              json_extract_string(sections::JSON, '$[1].section') AS s1,
              json_extract_string(sections::JSON, '$[1].kv[1].value') AS temp,
              json_extract(sections::JSON, '$[0].kv[*].key')::VARCHAR AS front_keys,
              length(raw_md) > 0 AS has_raw
       FROM ${parquet('document_level')} ORDER BY doc_id`,
    );
    expect(rows).toEqual([
      {
        doc_id: 'claude-eval',
        title: 'claude-eval',
        n: 1,
        s1: null,
        temp: null,
        front_keys: '["model", "temperature", "reviewer"]',
        has_raw: true,
      },
      {
        doc_id: 'eval-001',
        title: 'GPT-4 evaluation',
        n: 3,
        s1: 'Run',
        temp: '0.7',
        front_keys: '["doc_id", "tags"]',
        has_raw: true,
      },
      { doc_id: 'eval-003', title: 'Run', n: 3, s1: 'Run', temp: '1', front_keys: '["id"]', has_raw: true },
    ]);
  });
});

describe('bad Markdown-KV input', () => {
  async function badProject(name: string, text: string): Promise<string> {
    const cwd = path.join(tmp, name);
    await cp(FIXTURE, cwd, { recursive: true });
    await writeFile(path.join(cwd, 'markdown_kv/docs/bad.mdkv'), text);
    return cwd;
  }

  it('a "::" line without a key exits 2 naming the file and line; nothing is written', async () => {
    const cwd = await badProject('keyless', '# Run\nmodel:: x\n:: orphan value\n');
    const r = await run('row_per_kv', cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(cwd, 'markdown_kv/docs/bad.mdkv')}:3`);
    expect(r.stderr).toContain('"::" without a key');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await visibleCount(path.join(cwd, 'out')).catch(() => 0)).toBe(0);
  });

  it('front matter that is not valid YAML exits 2 naming the file and the line of the error', async () => {
    const cwd = await badProject('bad-yaml', '---\ntitle: ok\ntags: [unclosed\n---\nmodel:: x\n');
    const r = await run('rows', cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.mdkv:3\b.*front matter is not valid YAML/);
  });

  it('front matter never closed exits 2 naming line 1', async () => {
    const cwd = await badProject('unclosed', '---\ntitle: ok\nmodel:: x\n');
    const r = await run('string', cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.mdkv:1\b.*front matter opened with --- is never closed/);
  });

  it('structured_pattern hybrid: validate says it cannot run, run exits 2 naming the key', async () => {
    const cwd = path.join(tmp, 'hybrid');
    await cp(FIXTURE, cwd, { recursive: true });
    const job = path.join(cwd, 'jobs/markdown_kv/row_per_kv.yaml');
    await writeFile(job, (await readFile(job, 'utf8')).replace('"row_per_kv"', '"hybrid"'));
    const v = await runCli(['validate', '--config', 'jobs/markdown_kv/row_per_kv.yaml'], { cwd });
    expect(v.stderr).toContain('note: markdown_kv_storage structured_pattern "hybrid"');
    const r = await run('row_per_kv', cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('structured_pattern "hybrid"');
    expect(r.stderr).toMatch(/row_per_kv\.yaml:17:\d+/);
    expect(await visibleCount(path.join(cwd, 'out')).catch(() => 0)).toBe(0);
  });
});
