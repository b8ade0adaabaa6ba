/**
 * What becomes of each key of an original job file (spec §3): used as the original used it,
 * migrated to our form, or ignored on purpose. `dativo validate --explain` prints this for a job,
 * and the keys that changed what the original did but are ignored here are warned about at load,
 * so nothing a migrating user relied on is dropped in silence.
 */
import { isPlainObject } from './merge.js';
import { type KeyFate, NESTED_RULES } from './original-nested-keys.js';

export type { KeyFate };

export interface KeyExplanation {
  key: string;
  fate: KeyFate;
  why: string;
  /** Ignored, but the original acted on it: the user is warned. */
  warn?: boolean;
}

type Rule = (value: unknown) => Omit<KeyExplanation, 'key'>;

const used =
  (why: string): Rule =>
  () => ({ fate: 'used', why });
const informational = (): Rule => () => ({
  fate: 'ignored',
  why: 'informational: the original did not read it either',
});

/** Top-level keys, and nested ones whose fate depends on their value (more in original-nested-keys.ts). */
const RULES: Record<string, Rule> = {
  $schema: () => ({ fate: 'ignored', why: 'a reference to the JSON schema, for editors' }),
  tenant_id: used('names the tenant: state folder, secrets, tags'),
  environment: informational(),
  source_connector: informational(),
  target_connector: informational(),
  asset: informational(),
  source_connector_path: used('the source recipe; connectors/<type>.yaml falls back to the bundled recipes/'),
  target_connector_path: used('the target recipe; connectors/<type>.yaml falls back to the bundled recipes/'),
  asset_path: used('the ODCS contract (flat original form or standard ODCS v3.0.2)'),
  source: used('merged over the source recipe (deep merge: job keys win leaf by leaf)'),
  target: used('merged over the target recipe (deep merge: job keys win leaf by leaf)'),
  schema_validation_mode: used('strict or warn, as in the original'),
  retry_config: used('retries of the orchestrator'),
  'retry_config.max_attempts': () => ({
    fate: 'migrated',
    why: 'the schema documented max_attempts: read as max_retries = max_attempts - 1',
  }),
  logging: used('log level of the run'),
  'logging.redaction': (v) =>
    v === false
      ? {
          fate: 'ignored',
          why: 'secrets are always masked in logs, errors and reports; redaction: false cannot turn that off',
          warn: true,
        }
      : { fate: 'used', why: 'secrets are masked (always on)' },
  'source.incremental.state_path': used(
    'the state file; a state file written by the original is read, and migrated (with a .original.bak backup) at the first commit',
  ),
  'source.engine.options': used(
    'merged over the recipe options per engine; options of other engines are not read',
  ),
  catalog: () => ({
    fate: 'ignored',
    why: 'pushing lineage to OpenMetadata, Glue or Unity is not implemented: the block is checked, nothing is pushed',
    warn: true,
  }),
  classification_overrides: used('field labels over the contract (the original schema rejected this key)'),
  finops: used('FinOps tags over the contract (the original schema rejected this key)'),
  governance_overrides: used('retention and owner over the contract (the original schema rejected this key)'),
  plugins: used('plugins.sandbox limits are the upper bound of every plugin grant'),
};

function explainKey(key: string, value: unknown): KeyExplanation {
  const rule = RULES[key];
  if (rule) return { key, ...rule(value) };
  return { key, fate: 'used', why: 'a Dativo key (see the configuration reference)' };
}

/** `source.files[0].path` → `source.files[].path`: the form NESTED_RULES are written in. */
const pattern = (keyPath: string): string => keyPath.replace(/\[\d+\]/g, '[]');

/**
 * A nested key: its own rule (RULES, then NESTED_RULES, then `<parent>.*`), else the fate of the
 * block it sits in. Warnings belong to the block that has them, not to every key inside it.
 */
function explainNested(keyPath: string, value: unknown, parent: KeyExplanation): KeyExplanation {
  const p = pattern(keyPath);
  const own = RULES[p];
  if (own) return { key: keyPath, ...own(value) };
  const nested = NESTED_RULES[p] ?? NESTED_RULES[`${p.slice(0, p.lastIndexOf('.'))}.*`];
  if (nested) return { key: keyPath, ...nested };
  const why =
    parent.key.includes('.') || parent.key.includes('[')
      ? parent.why
      : `part of ${parent.key}: ${parent.why}`;
  return { key: keyPath, fate: parent.fate, why };
}

/** The keys below `value` (maps, and lists of maps), depth first in file order. */
function walk(keyPath: string, value: unknown, self: KeyExplanation, out: KeyExplanation[]): void {
  const children: [string, unknown][] = isPlainObject(value)
    ? Object.entries(value).map(([k, v]) => [`${keyPath}.${k}`, v])
    : Array.isArray(value) && value.some(isPlainObject)
      ? value.map((v, i) => [`${keyPath}[${i}]`, v])
      : [];
  for (const [childPath, v] of children) {
    const e = childPath.endsWith(']') ? { ...self, key: childPath } : explainNested(childPath, v, self);
    if (!childPath.endsWith(']')) out.push(e);
    walk(childPath, v, e, out);
  }
}

/** Every key of the job, nested ones included (`source.incremental.strategy`, `source.files[0].path`). */
export function explainJob(doc: Record<string, unknown>): KeyExplanation[] {
  const out: KeyExplanation[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const e = explainKey(key, value);
    out.push(e);
    walk(key, value, e, out);
  }
  return out;
}

/** The ignored keys the original acted on: each is worth a warning. */
export function ignoredKeyWarnings(doc: Record<string, unknown>): KeyExplanation[] {
  return explainJob(doc).filter((e) => e.fate === 'ignored' && e.warn);
}
