/**
 * A starting ODCS v3.0.2 contract for a CSV file: one object named after the file, one property
 * per column with the inferred logical type, `required` where the sample had no empty value.
 * The owner, classification and rules are left for the user: the YAML says where.
 */

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'yaml';
import type { InferredColumn } from './infer.js';

/** `columns` come from a sample of `file` (host/sources/csv/infer.ts); `file` names the contract. */
export function contractFromCsv(
  file: string,
  columns: InferredColumn[],
  opts: { name?: string } = {},
): string {
  const name = opts.name ?? path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9_]/g, '_');
  const doc = {
    apiVersion: 'v3.0.2',
    kind: 'DataContract',
    id: randomUUID(),
    name,
    version: '0.1.0',
    status: 'draft',
    domain: 'default',
    description: {
      purpose: `Written by dativo contract init from ${path.basename(file)}: review every type`,
    },
    team: [{ username: 'owner@example.com', role: 'owner' }],
    compliance: { classification: ['internal'] },
    schema: [
      {
        name,
        physicalType: 'table',
        properties: columns.map((c) => ({
          name: c.name,
          logicalType: c.type,
          ...(c.required ? { required: true } : {}),
        })),
      },
    ],
  };
  const head =
    '# A starting ODCS v3.0.2 contract, types inferred from a sample of the file.\n' +
    '# Review it: set the owner, mark sensitive columns (classification: pii | pci | phi on a property),\n' +
    '# narrow types (physicalType: decimal(p,s)), add rules (logicalTypeOptions: pattern, minimum, ...).\n';
  return head + stringify(doc, { lineWidth: 0 });
}
