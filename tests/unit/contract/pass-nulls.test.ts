import { describe, expect, it } from 'vitest';
import {
  type CoerceContext,
  compileChecks,
  eachCell,
  passNullsOnly,
} from '../../../host/contract/coerce/common.js';
import type { ContractField } from '../../../host/contract/model.js';
import { fromStrings, type TextColumn } from '../../../host/contract/text-column.js';

function context(required: boolean, reported: number[]): CoerceContext {
  const field = {
    name: 'f',
    type: { kind: 'string' },
    required,
    constraints: {},
  } as unknown as ContractField;
  return { field, checks: compileChecks(field), report: (i) => reported.push(i) };
}

describe('passNullsOnly', () => {
  // Row counts around byte boundaries, nulls at the edges and in the middle.
  for (const n of [1, 7, 8, 9, 16, 17, 100]) {
    for (const required of [false, true]) {
      it(`matches eachCell on ${n} rows (required: ${required})`, () => {
        const values = Array.from({ length: n }, (_, i) => (i % 3 === 0 || i === n - 1 ? null : `v${i}`));
        const col: TextColumn = fromStrings(values);
        const fast: number[] = [];
        const slow: number[] = [];
        const a = passNullsOnly(col, context(required, fast));
        const b = eachCell(col, context(required, slow), () => true);
        expect(a).toEqual(b);
        expect(fast).toEqual(slow);
        expect(a.nullCount).toBe(values.filter((v) => v === null).length);
        expect(fast.length).toBe(required ? a.nullCount : 0);
      });
    }
  }

  it('keeps every value of a column without nulls', () => {
    const col = fromStrings(['a', 'b', 'c']);
    const pass = passNullsOnly(col, context(true, []));
    expect(pass.nullCount).toBe(0);
    expect(pass.validity[0]).toBe(0b111);
  });
});
