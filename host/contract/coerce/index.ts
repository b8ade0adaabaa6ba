/** One coercer per contract type. */
import type { Data } from 'apache-arrow';
import type { FieldType } from '../model.js';
import type { TextColumn } from '../text-column.js';
import type { CoerceContext } from './common.js';
import { coerceDecimal, coerceFloat64, coerceInt64 } from './numeric.js';
import { coerceDate, coerceTimestamp } from './temporal.js';
import { coerceBool, coerceJson, coerceString } from './text.js';

export type { CoerceContext, CompiledChecks } from './common.js';
export { compileChecks } from './common.js';
export { firstValueZoned } from './temporal.js';

/** `utc` is the resolved zone choice of a timestamp column (see validate.ts for 'auto'). */
export function coerceColumn(type: FieldType, col: TextColumn, ctx: CoerceContext, utc: boolean): Data {
  switch (type.kind) {
    case 'string':
      return coerceString(col, ctx);
    case 'json':
      return coerceJson(col, ctx);
    case 'int64':
      return coerceInt64(col, ctx);
    case 'float64':
      return coerceFloat64(col, ctx);
    case 'decimal':
      return coerceDecimal(col, ctx, type.precision, type.scale);
    case 'bool':
      return coerceBool(col, ctx);
    case 'date':
      return coerceDate(col, ctx);
    case 'timestamp':
      return coerceTimestamp(col, ctx, utc);
  }
}
