/**
 * One interface for every secret backend (env, filesystem; vault, aws, gcp later). A manager loads
 * one tenant's secrets as a name → value map; values are strings or parsed JSON/dotenv objects.
 * Every implementation registers each value with the masker as it loads it.
 */
import { masker } from './masker.js';

export interface SecretManager {
  /** Canonical name: env | filesystem | vault | aws | gcp. */
  readonly kind: string;
  load(tenant: string): Promise<Record<string, unknown>>;
}

/** Register a freshly loaded value with the masker and hand it back: the one path values take. */
export function loaded<T>(value: T): T {
  masker.registerAll(value);
  return value;
}
