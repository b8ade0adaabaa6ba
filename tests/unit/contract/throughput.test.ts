/** Prints (does not assert) coercion throughput; the real benchmark belongs in bench/. */
import { describe, expect, it } from 'vitest';
import type { FieldType } from '../../../host/contract/model.js';
import { createValidator } from '../../../host/contract/validate.js';
import { contractOf, sourceBatch } from './helpers.js';

describe('throughput', () => {
  it('prints cells/s for int, float, string, decimal and timestamp columns', () => {
    const rows = 50_000;
    const kinds: [string, FieldType, (i: number) => string][] = [
      ['int', { kind: 'int64' }, (i) => String(i * 7919 - 300_000)],
      ['float', { kind: 'float64' }, (i) => (i * 0.37).toFixed(3)],
      ['string', { kind: 'string' }, (i) => `customer-${i}`],
      ['decimal', { kind: 'decimal', precision: 12, scale: 2 }, (i) => (i * 1.25).toFixed(2)],
      [
        'timestamp',
        { kind: 'timestamp', utc: false },
        (i) => `2014-02-${String((i % 28) + 1).padStart(2, '0')} 10:01:36.827`,
      ],
    ];
    const lines: string[] = [];
    for (const [name, type, gen] of kinds) {
      const cols = 4;
      const fields = Array.from({ length: cols }, (_, c) => ({ name: `${name}${c}`, type, required: true }));
      const data: Record<string, string[]> = {};
      for (const f of fields) data[f.name] = Array.from({ length: rows }, (_, i) => gen(i));
      const input = sourceBatch(data);
      const v = createValidator(contractOf(fields), 'strict');
      v.validate(input); // warm-up
      const rounds = 5;
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) expect(v.validate(input).invalidRows).toBe(0);
      const secs = (performance.now() - t0) / 1000;
      lines.push(`${name.padEnd(10)} ${((rows * cols * rounds) / secs / 1e6).toFixed(1)} M cells/s`);
    }
    console.log(`contract coercion throughput (${rows} rows × 4 columns × 5 rounds):\n${lines.join('\n')}`);
  });
});
