/**
 * The JSON Schema of a job file, generated from the same zod schema the loader parses with, so an
 * editor (YAML language server: `# yaml-language-server: $schema=job.schema.json`) completes and
 * checks exactly what `dativo validate` accepts at the schema level.
 */
import { z } from 'zod';
import { jobSchema } from './job-schema.js';

export function jobJsonSchema(): Record<string, unknown> {
  // 'input': what a user writes (before defaults); hand-checked parts (streams) become "any".
  const schema = z.toJSONSchema(jobSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { ...schema, title: 'Dativo job file' };
}
