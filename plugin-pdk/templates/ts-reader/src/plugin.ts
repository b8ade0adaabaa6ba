// A reader that generates `rows` records in batches of the size the pipeline asks for, and
// remembers how far it got (incremental state). Replace the body of nextBatch with your API calls:
// `request({ url })` from @dativo/pdk goes through the host, which checks the grant.
import { bool, config, float64, int64, ipcBatch, type OpenParams, reader, state, utf8 } from '@dativo/pdk';

interface Config {
  rows?: number;
  prefix?: string;
}

let next = 0;
let total = 0;
let prefix = 'row';
let batchSize = 1000;

export const { open, nextBatch, check, discover, close } = reader({
  open(params: OpenParams) {
    const c = config<Config>();
    total = c.rows ?? 1000;
    prefix = c.prefix ?? 'row';
    batchSize = Math.max(1, params.batchSize || 1000);
    next = Number(state.get('next_id') ?? 0);
  },

  nextBatch() {
    if (next >= total) return undefined;
    const ids = Array.from({ length: Math.min(batchSize, total - next) }, (_, i) => next + i + 1);
    next += ids.length;
    state.set('next_id', String(next));
    return ipcBatch({
      id: int64(ids),
      name: utf8(ids.map((i) => `${prefix}-${i}`)),
      score: float64(ids.map((i) => (i % 7 === 0 ? null : i / 4))),
      active: bool(ids.map((i) => i % 2 === 0)),
    });
  },

  check: () => ({ status: 'success', message: 'generated rows need no connection' }),

  discover: () => ({ objects: [{ name: 'rows', type: 'table' }], metadata: {} }),
});
