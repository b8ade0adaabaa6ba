/**
 * The connector registry (`registry/connectors.yaml`) and the rules of spec §4 checked against it.
 * Errors point at the job key (or recipe key) that made the offending choice.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DativoError, type Location } from '../errors.js';
import { parseWithPositions } from './issues.js';
import { loadYamlFile } from './yaml-source.js';

const entrySchema = z.looseObject({
  roles: z.array(z.enum(['source', 'target'])).min(1),
  category: z.string().optional(),
  default_engine: z.string().min(1),
  engines_supported: z.array(z.string().min(1)).min(1),
  allowed_in_cloud: z.boolean().optional(),
  supports_incremental: z.boolean().optional(),
  incremental_strategy_default: z.string().optional(),
  objects_supported: z.array(z.string()).optional(),
});

const registrySchema = z.looseObject({
  version: z.union([z.number(), z.string()]).optional(),
  connectors: z.record(z.string(), entrySchema),
});

export type RegistryEntry = z.output<typeof entrySchema>;
export interface Registry {
  file: string;
  version?: number | string;
  connectors: Record<string, RegistryEntry>;
}

/** The bundled registry: `registry/connectors.yaml` two levels above this module (source or dist). */
export const BUNDLED_REGISTRY = fileURLToPath(new URL('../../registry/connectors.yaml', import.meta.url));

const cache = new Map<string, Promise<Registry>>();

export function loadRegistry(file: string = BUNDLED_REGISTRY): Promise<Registry> {
  let p = cache.get(file);
  if (!p) {
    p = (async () => {
      const src = await loadYamlFile(file);
      const data = parseWithPositions(registrySchema, src.data, src, { what: 'the connector registry' });
      return { file: src.file, version: data.version, connectors: data.connectors };
    })();
    // A failed load is not cached: the file may be fixed and retried in the same process (tests, watch).
    p.catch(() => cache.delete(file));
    cache.set(file, p);
  }
  return p;
}

export const FILE_STRATEGY = 'file_modified_time';
export const SHEET_STRATEGY = 'spreadsheet_modified_time';
export function isCursorStrategy(strategy: string): boolean {
  return strategy !== FILE_STRATEGY && strategy !== SHEET_STRATEGY;
}

/** What one side of a job chose, with the location of each choice (job key or recipe key). */
export interface ConnectorChoice {
  role: 'source' | 'target';
  type: string;
  /** The recipe's `roles`, when it lists them. */
  recipeRoles?: string[];
  engine: string;
  mode: 'self_hosted' | 'cloud';
  /** Effective incremental settings (source only), after recipe defaults. */
  incremental?: { strategy: string; hasCursorField: boolean };
  hasFiles?: boolean;
  hasSheets?: boolean;
  /** A custom reader or plugin decides its own inputs, so file/sheet requirements do not apply. */
  customInput?: boolean;
  where: {
    connector: Location;
    engine: Location;
    strategy?: Location;
    incremental?: Location;
  };
}

/** Spec §4 rules, in the original's order. Returns every violation found (empty when fine). */
export function validateAgainstRegistry(registry: Registry, c: ConnectorChoice): DativoError[] {
  const errors: DativoError[] = [];
  const fail = (where: Location | undefined, message: string): void => {
    errors.push(new DativoError('REGISTRY_INVALID', message, { location: where ?? c.where.connector }));
  };
  const entry = registry.connectors[c.type];
  if (!entry) {
    const known = Object.keys(registry.connectors).sort().join(', ');
    fail(c.where.connector, `unknown connector type "${c.type}" (registry knows: ${known})`);
    return errors;
  }
  const roleOk =
    entry.roles.includes(c.role) && (c.recipeRoles === undefined || c.recipeRoles.includes(c.role));
  if (!roleOk) {
    const allowed = entry.roles.filter((r) => c.recipeRoles === undefined || c.recipeRoles.includes(r));
    fail(
      c.where.connector,
      `connector "${c.type}" cannot be used as a ${c.role} (its roles: ${allowed.join(', ') || 'none'})`,
    );
  }
  if (!entry.engines_supported.includes(c.engine)) {
    fail(
      c.where.engine,
      `engine "${c.engine}" is not supported by connector "${c.type}" (supported: ${entry.engines_supported.join(', ')})`,
    );
  }
  if (c.mode === 'cloud' && entry.allowed_in_cloud === false) {
    fail(
      c.where.connector,
      `connector "${c.type}" is not allowed in cloud mode (it needs access to a private network or disk)`,
    );
  }
  const inc = c.incremental;
  if (c.role === 'source' && inc) {
    const isFileLike = !isCursorStrategy(inc.strategy);
    if (inc.strategy !== entry.incremental_strategy_default && !isFileLike) {
      const def = entry.incremental_strategy_default;
      fail(
        c.where.strategy,
        `incremental strategy "${inc.strategy}" is not supported by connector "${c.type}" (${def ? `use "${def}"` : 'it has no incremental strategy'})`,
      );
    }
    if (isCursorStrategy(inc.strategy) && !inc.hasCursorField) {
      fail(
        c.where.incremental,
        `incremental strategy "${inc.strategy}" needs a "cursor_field" (in source.incremental or the recipe's cursor_field_default)`,
      );
    }
    if (!c.customInput && inc.strategy === FILE_STRATEGY && !c.hasFiles) {
      fail(c.where.strategy, `incremental strategy "${FILE_STRATEGY}" needs "source.files"`);
    }
    if (!c.customInput && inc.strategy === SHEET_STRATEGY && !c.hasSheets) {
      fail(c.where.strategy, `incremental strategy "${SHEET_STRATEGY}" needs "source.sheets"`);
    }
  }
  return errors;
}
