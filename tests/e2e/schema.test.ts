/** `dativo schema job > job.schema.json`: the JSON Schema of a job file, on stdout, for editors. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('dativo schema', () => {
  it('prints the job schema as JSON on stdout and exits 0', async () => {
    const r = await runCli(['schema', 'job']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('Dativo job file');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['tenant_id', 'asset_path', 'source', 'target', 'schema_validation_mode']),
    );
  });

  it('names the kinds it knows when asked for another, exit 2', async () => {
    const r = await runCli(['schema', 'recipe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "argument value 'recipe' is invalid for argument 'kind'. Allowed choices are job.",
    );
  });
});
