/**
 * A sample of a CSV file's columns typed by the contract kernel's guess (host/contract/infer.ts),
 * for `discover` and `contract init`. Here, not in contract/, because reading the file is the
 * CSV source's job: the contract layer sits below sources and must not import them.
 */
import { type InferredColumn, inferType } from '../../contract/infer.js';
import { parseCsvOptions } from './options.js';
import { readCsvFile } from './read-file.js';

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
