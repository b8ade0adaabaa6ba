/**
 * Column types guessed from sample values (the CSV source samples a file, host/sources/csv/infer.ts),
 * for `discover` and `contract init`: the narrowest ODCS logical type every non-empty value fits. A guess to start a contract
 * from, not a rule: the contract a user edits and commits is what validates data.
 */
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
