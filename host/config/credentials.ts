/**
 * A source's credentials, resolved once at load time: the recipe's `from_env` (secret manager first,
 * then the environment), its `file_template` (a per-tenant secret bundle or file), and string values
 * the job writes inline under `source.credentials`. Values from outside the job file are registered
 * with the masker.
 * A missing credential is not a config error: `check` and the source report it when they connect.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { masker } from '../secrets/masker.js';
import type { RecipeData } from './recipe.js';
import type { SecretLookup } from './secret-lookup.js';

const META_KEYS = new Set(['type', 'from_env', 'file_template']);

export interface CredentialInputs {
  tenant: string;
  recipe: RecipeData['credentials'];
  /** The job's interpolated `source.credentials`. */
  inline: Record<string, unknown> | undefined;
  env: Record<string, string | undefined>;
  secrets?: SecretLookup;
}

export function resolveCredentials(inp: CredentialInputs): Record<string, string> {
  const out: Record<string, string> = {};
  const rc = inp.recipe;
  if (rc?.file_template) {
    const file = rc.file_template.replaceAll('{tenant}', inp.tenant);
    Object.assign(out, fromBundle(file, inp.secrets));
  }
  if (rc?.from_env) {
    const name = rc.from_env;
    const v = inp.secrets?.get(name.toLowerCase()) ?? inp.secrets?.get(name) ?? inp.env[name];
    if (v !== undefined && v !== '') {
      out[name.toLowerCase()] = v;
      if (rc.type === 'api_key') out.api_key = v;
    }
  }
  // Values from the manager, env or files are secrets; inline job values were registered by
  // interpolation when they came from outside the file (literal text in a job is not a secret).
  for (const v of Object.values(out)) masker.register(v);
  for (const [k, v] of Object.entries(inp.inline ?? {})) {
    if (META_KEYS.has(k)) continue;
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** A secret bundle named by the template's file stem in the secret manager, else the file itself. */
function fromBundle(file: string, secrets: SecretLookup | undefined): Record<string, string> {
  const ext = path.extname(file).toLowerCase();
  const stem = path.basename(file, ext);
  const managed = secrets?.all()[stem];
  if (managed !== undefined && managed !== null) {
    return typeof managed === 'string'
      ? parseText(managed, ext, stem)
      : flatten(managed, stem, JSON.stringify(managed));
  }
  if (!existsSync(file)) return {};
  return parseText(readFileSync(file, 'utf8'), ext, stem);
}

function parseText(text: string, ext: string, stem: string): Record<string, string> {
  const trimmed = text.trim();
  if (ext === '.json' || trimmed.startsWith('{')) {
    try {
      return flatten(JSON.parse(trimmed), stem, trimmed);
    } catch {
      return { [stem]: trimmed };
    }
  }
  if (ext === '.env' || /^[A-Za-z_][A-Za-z0-9_]*=/m.test(trimmed)) {
    const parsed = parseDotenv(trimmed);
    return { ...parsed };
  }
  return { [stem]: trimmed };
}

/** Top-level string leaves by key, plus the whole bundle under its stem (a service-account JSON is used whole). */
function flatten(value: unknown, stem: string, raw: string): Record<string, string> {
  const out: Record<string, string> = { [stem]: raw };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
  }
  masker.registerAll(value);
  return out;
}
