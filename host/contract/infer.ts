/**
 * Column types guessed from a sample of a CSV file's text, for `discover` and `contract init`:
 * the narrowest ODCS logical type every non-empty sample value fits. A guess to start a contract
 * from, not a rule: the contract a user edits and commits is what validates data.
 */
import { parseCsvOptions } from '../sources/csv/options.js';
import { readCsvFile } from '../sources/csv/read-file.js';

export type InferredType = 'integer' | 'number' | 'boolean' | 'date' | 'timestamp' | 'string';

export interface InferredColumn {
  name: string;
  type: InferredType;
  /** No empty value in the sample. */
  required: boolean;
}

const TESTS: [InferredType, RegExp][] = [
  ['integer', /^[-+]?\d{1,18}$/],
  ['number', /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/],
  ['boolean', /^(true|false)$/i],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  ['timestamp', /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/],
];

/** The first type of TESTS every value passes (an integer column is also a number column). */
export function inferType(values: string[]): InferredType {
  if (values.length === 0) return 'string';
  for (const [type, re] of TESTS) if (values.every((v) => re.test(v))) return type;
  return 'string';
}

export async function inferCsvColumns(
  file: string,
  options: Record<string, unknown> = {},
  sampleRows = 1000,
): Promise<InferredColumn[]> {
  const csv = parseCsvOptions(options);
  for await (const { batch } of readCsvFile(file, { csv, batchSize: sampleRows })) {
    return batch.schema.fields.map((field, i) => {
      const col = batch.getChildAt(i);
      const values: string[] = [];
      let empty = false;
      for (let r = 0; r < batch.numRows; r++) {
        const v = col?.get(r);
        if (v === null || v === undefined || String(v) === '') empty = true;
        else values.push(String(v));
      }
      return { name: field.name, type: inferType(values), required: !empty && values.length > 0 };
    });
  }
  return [];
}
