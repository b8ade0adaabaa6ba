/**
 * Typed input (databases, plugins) whose Arrow type already is the contract's storage type: the
 * values are reused as they are, only nulls are checked. Anything else (other widths, constraints
 * to check) goes through the text path, which prints each value and parses it like CSV text.
 */
import { type Data, type DataType, makeData, Type } from 'apache-arrow';
import type { FieldType } from '../model.js';
import type { CoerceContext } from './common.js';

interface Shape {
  typeId: Type;
  bitWidth?: number;
  isSigned?: boolean;
  precision?: number;
  scale?: number;
  unit?: number;
}

/** True when `data` can be relabelled as the output type of `type` without touching values. */
export function reusable(data: Data, type: FieldType, checked: boolean): boolean {
  if (checked) return false;
  const t = data.type as DataType & Shape;
  switch (type.kind) {
    case 'int64':
      return t.typeId === Type.Int && t.bitWidth === 64 && t.isSigned === true;
    case 'float64':
      return t.typeId === Type.Float && t.precision === 2; // Precision.DOUBLE
    case 'decimal':
      return (
        t.typeId === Type.Decimal &&
        t.bitWidth === 128 &&
        t.precision === type.precision &&
        t.scale === type.scale
      );
    case 'date':
      return t.typeId === Type.Date && t.unit === 0; // DateUnit.DAY
    case 'timestamp':
      // Zoned input holds UTC instants; naive input holds wall time. Both are the numbers the
      // output stores, whichever zone the column ends up with.
      return t.typeId === Type.Timestamp && t.unit === 2; // TimeUnit.MICROSECOND
    case 'bool':
      return t.typeId === Type.Bool && data.offset === 0; // bits are not pre-sliced
    default:
      return false;
  }
}

/** Reuses the values under `outType`, reporting missing required values. */
export function reuseTyped(data: Data, outType: DataType, ctx: CoerceContext): Data {
  const n = data.length;
  let validity: Uint8Array | undefined;
  if (data.nullCount > 0) {
    validity = new Uint8Array((n + 7) >> 3);
    const bitmap = data.nullBitmap;
    if (bitmap && data.offset === 0 && !ctx.field.required) validity.set(bitmap.subarray(0, validity.length));
    else
      for (let i = 0; i < n; i++) {
        if (data.getValid(i)) validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
        else if (ctx.field.required) ctx.report(i, 'missing_required', 'required value is missing');
      }
  }
  return makeData({
    type: outType,
    length: n,
    nullCount: data.nullCount,
    nullBitmap: validity,
    data: data.values,
  } as Parameters<typeof makeData>[0]) as Data;
}

/** For `utc: 'auto'` with a typed timestamp input: the input's own zone decides. */
export function typedZoned(data: Data): boolean | undefined {
  const t = data.type as DataType & { timezone?: string | null };
  return data.typeId === Type.Timestamp ? t.timezone != null && t.timezone !== '' : undefined;
}
