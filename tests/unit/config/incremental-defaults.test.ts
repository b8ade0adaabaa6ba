/** Which incremental settings a job gets from its recipe (deliberate changes from the original). */
import { expect, it } from 'vitest';
import { effectiveIncremental } from '../../../host/config/effective.js';

const postgresRecipe = {
  incremental: { strategy: 'updated_at', cursor_field_default: 'updated_at', lookback_days_default: 1 },
} as unknown as Parameters<typeof effectiveIncremental>[0];

it('a job without an incremental map gets the recipe strategy, and its first run reads everything', () => {
  expect(effectiveIncremental(postgresRecipe, {} as never)).toEqual({
    strategy: 'updated_at',
    cursor_field: 'updated_at',
    lookback_days: 0,
  });
});

it('a job that opts in with an incremental map gets the recipe lookback unless it sets its own', () => {
  expect(effectiveIncremental(postgresRecipe, { incremental: {} } as never)).toMatchObject({
    lookback_days: 1,
  });
  expect(effectiveIncremental(postgresRecipe, { incremental: { lookback_days: 3 } } as never)).toMatchObject({
    lookback_days: 3,
  });
});

it('a recipe without a strategy means no incremental settings', () => {
  expect(effectiveIncremental({} as never, {} as never)).toBeUndefined();
});
