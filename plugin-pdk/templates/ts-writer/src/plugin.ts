// A writer that appends every row as one JSON object per line to a named output. The host stages
// what `writeOutput` appends and publishes it only when the run commits (nothing partial is ever
// visible); `abort` needs nothing, since the host discards the staged output.
import { type OpenParams, PluginError, rowsOf, writeOutput, writer, config } from '@dativo/pdk';

interface Config {
  output?: string;
}

let output = 'data.jsonl';
let rows = 0;

/** JSON has no 64-bit integers: safe ones stay numbers, larger ones become strings. */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
}

export const { open, writeBatch, commit, abort } = writer({
  open(params: OpenParams) {
    const c = config<Config>();
    output = c.output ?? `${params.stream || 'data'}.jsonl`;
    if (output.startsWith('.') || output.includes('/')) {
      throw new PluginError('CONFIG_INVALID', `output "${output}" must be a plain file name`);
    }
    rows = 0;
  },

  writeBatch(batch: Uint8Array) {
    const lines = rowsOf(batch).map((r) => JSON.stringify(r, jsonValue));
    if (lines.length === 0) return;
    writeOutput(output, `${lines.join('\n')}\n`);
    rows += lines.length;
  },

  commit: () => ({ rows, output }),
});
