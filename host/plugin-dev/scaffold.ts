/**
 * `dativo plugin init --lang rust|ts|python [--role reader|writer] NAME`: a working plugin in any folder,
 * from `plugin-pdk/templates/<lang>-<role>`. The Rust template is a member of the plugin workspace
 * (so CI builds it); the copy becomes its own workspace root that needs `dativo-pdk` by version (the
 * Dativo that builds it supplies the path: no path of this machine in the copy), with the
 * workspace's portable cargo config and profile, and a manifest awaiting its first build.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { MANIFEST_FILE, parseManifest } from '../plugins/manifest.js';
import { pdkVersionRequirement, pluginCargoConfig, workspaceProfiles } from './cargo-config.js';
import { setManifestEntry, UNBUILT_SHA256 } from './manifest-edit.js';
import { dativoRoot, templateDir } from './paths.js';

export const LANGUAGES = ['rust', 'ts', 'python'] as const;
export type PluginLanguage = (typeof LANGUAGES)[number];
export const ROLES = ['reader', 'writer'] as const;
export type PluginRole = (typeof ROLES)[number];
/** The templates that exist: a writer only in TypeScript so far. */
const TEMPLATES: Record<PluginLanguage, readonly PluginRole[]> = {
  rust: ['reader'],
  ts: ['reader', 'writer'],
  python: ['reader'],
};

/** The template's own names, replaced by the plugin's. */
const TEMPLATE_PACKAGE = 'rust-reader-template';
const TEMPLATE_CRATE = 'rust_reader_template';
/** Never copied from the template folder. */
const SKIP = new Set(['target', '.cargo', 'Cargo.lock']);

export interface InitOptions {
  name: string;
  lang?: PluginLanguage;
  /** Reader (default) or writer. */
  role?: PluginRole;
  /** Target folder (default ./NAME). */
  dir?: string;
  /** The Dativo install to build against (default: this one). */
  root?: string;
}

export interface InitResult {
  dir: string;
  files: string[];
}

function fail(message: string, details?: Record<string, unknown>): DativoError {
  return new DativoError('CONFIG_INVALID', message, details ? { details } : {});
}

function copyTree(
  src: string,
  dest: string,
  rewrite: (rel: string, text: string) => string,
  rel = '',
): string[] {
  const files: string[] = [];
  mkdirSync(path.join(dest, rel), { recursive: true });
  for (const entry of readdirSync(path.join(src, rel)).sort()) {
    if (SKIP.has(entry) || entry.endsWith('.wasm')) continue;
    const r = path.join(rel, entry);
    if (statSync(path.join(src, r)).isDirectory()) files.push(...copyTree(src, dest, rewrite, r));
    else {
      writeFileSync(path.join(dest, r), rewrite(r, readFileSync(path.join(src, r), 'utf8')));
      files.push(r);
    }
  }
  return files;
}

/** Cargo.toml: the plugin's names, the PDK by version, its own workspace, the shared profile. */
function rewriteCargoToml(text: string, pkg: string, root: string): string {
  const withPdk = text.replace(
    /^dativo-pdk\s*=\s*\{[^}\n]*\}/m,
    '# `dativo plugin build` points this at the PDK of the Dativo that builds the plugin.\n' +
      `dativo-pdk = ${JSON.stringify(pdkVersionRequirement(root))}`,
  );
  if (withPdk === text) throw fail('template Cargo.toml has no `dativo-pdk = { path = ... }` dependency');
  return (
    `${withPdk.split(TEMPLATE_PACKAGE).join(pkg).trimEnd()}\n\n` +
    '# Its own workspace: a plugin folder inside another cargo workspace must not join it.\n[workspace]\n\n' +
    `# Same profile as the Dativo plugin workspace, so the shared std build is reused.\n${workspaceProfiles(root)}`
  );
}

/**
 * A TypeScript or Python plugin: the template with its name replaced. Neither needs an install:
 * `plugin build` resolves `@dativo/pdk` and apache-arrow from this Dativo (the plugin's own
 * node_modules come first, for its other dependencies); the sandbox brings `dativo_pdk`.
 */
function initCopiedPlugin(
  name: string,
  lang: 'ts' | 'python',
  role: PluginRole,
  template: string,
  dir: string,
): InitResult {
  const placeholder = `${lang}-${role}-template`;
  const files = copyTree(template, dir, (_rel, text) =>
    text.split(placeholder).join(name).split(placeholder.replace(/-/g, '_')).join(name.replace(/-/g, '_')),
  );
  const manifestPath = path.join(dir, MANIFEST_FILE);
  // A component is built to NAME.wasm; a Python plugin's entry stays its source file.
  setManifestEntry(manifestPath, {
    ...(lang === 'ts' ? { file: `${name}.wasm` } : {}),
    sha256: UNBUILT_SHA256,
  });
  return { dir, files: files.sort() };
}

export function initPlugin(opts: InitOptions): InitResult {
  const lang = opts.lang ?? 'rust';
  if (!LANGUAGES.includes(lang)) throw fail(`--lang ${lang}: only ${LANGUAGES.join(', ')} is supported`);
  const role = opts.role ?? 'reader';
  if (!TEMPLATES[lang].includes(role)) {
    throw fail(`--role ${role}: the ${lang} templates are ${TEMPLATES[lang].join(', ')} only`);
  }
  const name = opts.name;
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw fail(
      `plugin name "${name}": use lower-case letters, digits, "-" and "_", starting with a letter (it names the crate and the manifest)`,
    );
  }
  const root = opts.root ?? dativoRoot();
  const template = templateDir(lang, role, root);
  if (!existsSync(template)) throw new DativoError('CONFIG_NOT_FOUND', `no plugin template at ${template}`);
  const dir = path.resolve(opts.dir ?? name);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw fail(`${dir} exists and is not a folder`);
    const entries = readdirSync(dir);
    if (entries.length > 0) {
      throw fail(
        `${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); plugin init never overwrites files: choose an empty or new folder with --dir`,
      );
    }
  }
  if (lang !== 'rust') return initCopiedPlugin(name, lang, role, template, dir);
  const crate = name.replace(/-/g, '_');
  const files = copyTree(template, dir, (rel, text) => {
    if (rel === 'Cargo.toml') return rewriteCargoToml(text, name, root);
    return text.split(TEMPLATE_PACKAGE).join(name).split(TEMPLATE_CRATE).join(crate);
  });
  mkdirSync(path.join(dir, '.cargo'), { recursive: true });
  writeFileSync(path.join(dir, '.cargo', 'config.toml'), pluginCargoConfig(root));
  files.push(path.join('.cargo', 'config.toml'));
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw fail(`template ${template} has no ${MANIFEST_FILE}`);
  setManifestEntry(manifestPath, { file: `${crate}.wasm`, sha256: UNBUILT_SHA256 });
  parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
  return { dir, files: files.sort() };
}
