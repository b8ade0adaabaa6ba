/**
 * A loaded view over one tenant's secrets. Names are case-insensitive; the string leaves of a JSON
 * or dotenv secret are addressable as `name.key` (and `name.a.b` for nested JSON).
 */

import { masker } from './masker.js';
import type { SecretLookup } from './secret-lookup.js';

export type { SecretLookup };

export function createSecretLookup(secrets: Record<string, unknown>): SecretLookup {
  // Values reach the masker before anyone can read them through the view.
  masker.registerAll(secrets);
  const index = new Map<string, string>();
  // Top-level names first, so a secret literally named `a.b` beats the leaf `b` of secret `a`.
  for (const [name, value] of Object.entries(secrets)) {
    const text = asText(value);
    if (text !== undefined) setOnce(index, name, text);
  }
  for (const [name, value] of Object.entries(secrets)) {
    if (value && typeof value === 'object') indexLeaves(index, name, value);
  }
  return {
    get: (name) => index.get(name.toLowerCase()),
    all: () => secrets,
  };
}

function indexLeaves(index: Map<string, string>, prefix: string, value: object): void {
  for (const [k, v] of Object.entries(value)) {
    const path = `${prefix}.${k}`;
    const text = asText(v);
    if (text !== undefined) setOnce(index, path, text);
    if (v && typeof v === 'object') indexLeaves(index, path, v);
  }
}

function setOnce(index: Map<string, string>, key: string, value: string): void {
  const k = key.toLowerCase();
  if (!index.has(k)) index.set(k, value);
}

/**
 * Strings as they are; numbers and booleans as text; an object secret as its JSON (a service account
 * key is used whole, e.g. written to a credentials file for a plugin).
 */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') return JSON.stringify(value);
  return undefined;
}
