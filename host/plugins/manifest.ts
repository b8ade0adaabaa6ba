/**
 * `dativo-plugin.yaml`: what a plugin is and what it asks for (architecture §5). Validated once at
 * the edge with zod; everything after this works on the typed `PluginManifest`.
 *
 * A job may point at a plugin folder (holding `dativo-plugin.yaml`) or at a `.wasm` file. For a
 * bare `.wasm` file the manifest must sit beside it (`dativo-plugin.yaml` in the same folder, whose
 * entry names that file); without one we synthesize a manifest that requests nothing (no network,
 * no secrets) and whose sha256 is the file's own, so the plugin runs with the default limits only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DativoError } from '../errors.js';
import { newestAbi } from './abi-support.js';
import { parseWasmModule, readAbiVersion } from './wasm-module.js';

export const MANIFEST_FILE = 'dativo-plugin.yaml';
/**
 * The ABI this host speaks: the major.minor of `wit/dativo-plugin.wit` (package dativo:plugin@1.1.0).
 * 1.1 changed no byte of the Extism flattening, so modules built for 1.0 load unchanged.
 */
export const HOST_ABI = newestAbi();

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'a network host is "host:port", e.g. "api.stripe.com:443"');

export const httpPolicySchema = z.strictObject({
  methods: z.array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])).default(['GET']),
  max_retries: z.number().int().min(0).max(10).default(3),
  initial_delay_ms: z.number().int().min(0).default(250),
  max_delay_ms: z.number().int().min(0).default(30_000),
  /** Requests per second across the plugin instance; 0 = unlimited. */
  rate_per_second: z.number().min(0).default(0),
  max_response_mb: z.number().positive().default(16),
  request_timeout_ms: z.number().int().positive().default(30_000),
  max_redirects: z.number().int().min(0).max(10).default(5),
});
export type HttpPolicyConfig = z.output<typeof httpPolicySchema>;

const capabilitiesSchema = z.strictObject({
  network: z.strictObject({ hosts: z.array(hostPort).default([]) }).optional(),
  secrets: z.array(z.string().min(1)).default([]),
  memory_mb: z.number().positive().default(64),
  timeout_ms: z.number().int().positive().default(30_000),
  output_mb: z.number().positive().default(256),
  http: httpPolicySchema.optional(),
  /** Readers: read the job's `source.files` (by logical name, read-only) through `input_read`. */
  files: z.boolean().default(false),
});

export const manifestSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  version: z.string().min(1),
  role: z.enum(['reader', 'writer']),
  runtime: z.enum(['extism', 'component', 'python', 'deno', 'docker']),
  abi: z.union([z.string(), z.number()]).transform((v) => String(v)),
  entry: z.strictObject({
    file: z.string().min(1),
    /** runtime: python: the reader class in `file` (a `dativo_pdk.Reader` or original `BaseReader`). */
    class: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python class name')
      .optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/i, '64 hex digits'),
  }),
  capabilities: capabilitiesSchema.default(() => capabilitiesSchema.parse({})),
  config_schema: z.record(z.string(), z.unknown()).optional(),
  streams: z.array(z.strictObject({ name: z.string().min(1), contract: z.string().optional() })).default([]),
  description: z.string().optional(),
});

export type PluginManifest = z.output<typeof manifestSchema>;

export interface LoadedPlugin {
  manifest: PluginManifest;
  /** Absolute path of the manifest (or of the .wasm file when synthesized). */
  manifestPath: string;
  /** Absolute path of the entry file. */
  entryPath: string;
  synthesized: boolean;
}

function denied(plugin: string, message: string): DativoError {
  return new DativoError('PLUGIN_DENIED', message, { location: { plugin } });
}

export function parseManifest(text: string, file: string): PluginManifest {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new DativoError('YAML_SYNTAX', `${file}: ${(e as Error).message}`, { location: { file } });
  }
  const res = manifestSchema.safeParse(raw);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new DativoError('CONFIG_INVALID', `invalid plugin manifest ${file}: ${issues}`, {
      location: { file },
    });
  }
  return res.data;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Find and validate the manifest for a job's plugin path (folder, .wasm file or manifest file). */
export function loadPluginManifest(ref: string, role: 'reader' | 'writer'): LoadedPlugin {
  const file = ref.split(':')[0] ?? ref;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.so' || ext === '.dylib' || ext === '.dll') {
    throw denied(
      path.basename(file),
      `native plugin ${file} refused: native code cannot be sandboxed. Compile the plugin to WebAssembly and point the job at the .wasm file or plugin directory`,
    );
  }
  if (ext === '.py') {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `Python plugin ${file} (the Python runtime) is valid but not implemented in this version of Dativo`,
    );
  }
  if (!existsSync(file)) throw new DativoError('CONFIG_NOT_FOUND', `plugin ${file} does not exist`);
  if (statSync(file).isDirectory()) return fromManifestFile(path.join(file, MANIFEST_FILE));
  if (ext === '.yaml' || ext === '.yml') return fromManifestFile(file);
  if (ext !== '.wasm') {
    throw denied(
      path.basename(file),
      `plugin ${file}: expected a plugin folder, a ${MANIFEST_FILE} or a .wasm file`,
    );
  }
  const beside = path.join(path.dirname(file), MANIFEST_FILE);
  if (existsSync(beside)) {
    const loaded = fromManifestFile(beside);
    if (path.resolve(loaded.entryPath) !== path.resolve(file)) {
      throw denied(
        loaded.manifest.name,
        `${beside} describes ${loaded.manifest.entry.file}, not ${path.basename(file)}; point the job at the plugin folder`,
      );
    }
    return loaded;
  }
  return synthesize(file, role);
}

function fromManifestFile(manifestPath: string): LoadedPlugin {
  if (!existsSync(manifestPath)) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      `plugin folder ${path.dirname(manifestPath)} has no ${MANIFEST_FILE}`,
    );
  }
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
  const entryPath = path.resolve(path.dirname(manifestPath), manifest.entry.file);
  const rel = path.relative(path.dirname(manifestPath), entryPath);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw denied(manifest.name, `entry file ${manifest.entry.file} is outside the plugin folder`);
  }
  return { manifest, manifestPath, entryPath, synthesized: false };
}

function moduleAbi(bytes: Uint8Array): string | undefined {
  try {
    return readAbiVersion(parseWasmModule(bytes));
  } catch {
    return undefined; // checkModule reports a malformed module
  }
}

/** A bare .wasm: no capabilities at all, the role the job uses it for. */
function synthesize(file: string, role: 'reader' | 'writer'): LoadedPlugin {
  const bytes = readFileSync(file);
  const name = path
    .basename(file, '.wasm')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-');
  // Version 1 in the header is a core module (Extism); anything else is left to the component runtime.
  const isCore = bytes[4] === 1 && bytes[5] === 0;
  const manifest = manifestSchema.parse({
    name: /^[a-z0-9]/.test(name) ? name : `plugin-${name}`,
    version: '0.0.0',
    role,
    runtime: isCore || bytes.length < 8 ? 'extism' : 'component',
    // Nothing to contradict the module: it is taken at its word (a 1.0 module stays 1.0).
    abi: isCore ? (moduleAbi(bytes) ?? HOST_ABI) : HOST_ABI,
    entry: { file: path.basename(file), sha256: sha256(bytes) },
  });
  return { manifest, manifestPath: file, entryPath: file, synthesized: true };
}

/** Read the entry file and check it against the manifest's sha256, before anything parses it. */
export function readVerifiedEntry(loaded: LoadedPlugin): Uint8Array {
  const { manifest, entryPath } = loaded;
  if (!existsSync(entryPath)) {
    throw new DativoError(
      'CONFIG_NOT_FOUND',
      // The location already names the plugin; the hint covers the usual cause (not built yet).
      `entry file ${entryPath} does not exist: build the plugin first (dativo plugin build)`,
      {
        location: { plugin: manifest.name },
      },
    );
  }
  const bytes = new Uint8Array(readFileSync(entryPath));
  const actual = sha256(bytes);
  if (actual !== manifest.entry.sha256.toLowerCase()) {
    throw denied(
      manifest.name,
      `plugin ${manifest.name}: integrity check failed for ${path.basename(entryPath)}: sha256 is ${actual}, ` +
        `the manifest says ${manifest.entry.sha256.toLowerCase()} (the module was modified after it was packaged)`,
    );
  }
  return bytes;
}

/** Validate the job's plugin config against the manifest's JSON Schema (when it has one). */
export function validatePluginConfig(manifest: PluginManifest, config: unknown): void {
  if (!manifest.config_schema) return;
  let schema: z.ZodType;
  try {
    schema = z.fromJSONSchema(manifest.config_schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (e) {
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: config_schema is not a usable JSON Schema: ${(e as Error).message}`,
      {
        location: { plugin: manifest.name },
      },
    );
  }
  const res = schema.safeParse(config);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new DativoError(
      'CONFIG_INVALID',
      `plugin ${manifest.name}: its config does not match the plugin's schema: ${issues}`,
      {
        location: { plugin: manifest.name },
      },
    );
  }
}
