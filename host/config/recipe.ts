/**
 * Connector recipes (spec §4; the original's `connectors/*.yaml`): what a connector type brings by
 * default: engine, credentials source, incremental defaults, connection template.
 */
import { z } from 'zod';
import type { Location } from '../errors.js';
import { parseWithPositions } from './issues.js';
import { INCREMENTAL_STRATEGIES } from './job-schema.js';
import { loadYamlFile, type YamlSource } from './yaml-source.js';

const anyMap = z.record(z.string(), z.unknown());

export const recipeSchema = z.looseObject({
  name: z.string().optional(),
  type: z.string().min(1),
  roles: z.array(z.enum(['source', 'target'])).optional(),
  description: z.string().optional(),
  default_engine: z
    .looseObject({
      type: z.string().min(1).optional(),
      options: anyMap.nullable().optional(),
    })
    .optional(),
  credentials: z
    .looseObject({
      type: z.enum(['none', 'api_key', 'basic', 'service_account', 'oauth2', 'token']).optional(),
      from_env: z.string().min(1).optional(),
      file_template: z.string().min(1).optional(),
    })
    .optional(),
  incremental: z
    .looseObject({
      strategy: z.enum(INCREMENTAL_STRATEGIES).optional(),
      cursor_field_default: z.string().nullable().optional(),
      lookback_days_default: z.number().int().min(0).optional(),
    })
    .optional(),
  rate_limits: anyMap.optional(),
  connection_template: anyMap.optional(),
  catalog: z.union([z.string(), anyMap]).nullable().optional(),
  file_format: z.string().optional(),
  partitioning_default: z.array(z.string().min(1)).optional(),
});

export type RecipeData = z.output<typeof recipeSchema>;

export interface Recipe {
  file: string;
  src: YamlSource;
  data: RecipeData;
}

/** Load and check one recipe file. `referencedFrom` is the job key that named it (for CONFIG_NOT_FOUND). */
export async function loadRecipe(file: string, referencedFrom?: Location): Promise<Recipe> {
  const src = await loadYamlFile(file, referencedFrom);
  const data = parseWithPositions(recipeSchema, src.data, src, { what: 'a connector recipe' });
  return { file: src.file, src, data };
}
