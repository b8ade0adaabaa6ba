/**
 * What the config layer (and plugins) need from a secret manager: a read-only view. The managers in
 * this folder implement it; loading a job depends on this interface, never on which manager is set.
 */
export interface SecretLookup {
  /** One secret by name (the env manager's keys are lower-cased names); undefined when absent. */
  get(name: string): string | undefined;
  /** Every loaded secret: strings, or parsed bundles (JSON / dotenv) as objects. */
  all(): Record<string, unknown>;
}

/** A lookup over a plain object (tests, `--secret` flags). */
export function staticSecrets(values: Record<string, unknown>): SecretLookup {
  return {
    get(name) {
      const v = values[name];
      if (typeof v === 'string') return v;
      return v === undefined || v === null ? undefined : JSON.stringify(v);
    },
    all() {
      return { ...values };
    },
  };
}
