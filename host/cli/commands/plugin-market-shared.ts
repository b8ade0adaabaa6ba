/** What the marketplace subcommands share: flags, the trust set, the install context, key loading. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { DativoError } from '../../errors.js';
import { type SecretSource, secretFromManager } from '../../marketplace/credentials.js';
import type { InstallContext } from '../../marketplace/install.js';
import { findProject } from '../../marketplace/lock.js';
import { isEncryptedSecretKey, parseSecretKey, type SecretKey } from '../../marketplace/minisign.js';
import { openRegistry, type PluginRegistry, registryUrl } from '../../marketplace/registry.js';
import { loadTrust, type TrustSet } from '../../marketplace/trust.js';
import { masker } from '../../secrets/masker.js';
import { type SecretFlags, withSecretOptions } from '../options.js';
import { printError, printLine } from '../output.js';
import { confirmAtTty, hasTty, passwordAtTty } from '../prompt.js';

export interface MarketFlags extends Partial<SecretFlags> {
  registry?: string;
  trust?: string[];
  pluginsDir?: string;
  yes?: boolean;
  frozen?: boolean;
  json?: boolean;
  verbose?: boolean;
  tenantId?: string;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function withRegistry(cmd: Command): Command {
  return withSecretOptions(cmd)
    .addOption(
      new Option('--registry <url>', 'plugin registry, e.g. https://ghcr.io/acme').env(
        'DATIVO_PLUGIN_REGISTRY',
      ),
    )
    .option(
      '--tenant-id <id>',
      'tenant whose secrets hold plugin_registry_auth / plugin_key_password',
      'default',
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'stack traces on errors');
}

export function withTrust(cmd: Command): Command {
  return cmd.option(
    '--trust <keyfile>',
    'also trust this minisign public key for this command (repeatable)',
    collect,
  );
}

export function withInstallFlags(cmd: Command): Command {
  return cmd
    .option('--plugins-dir <dir>', 'install into this folder (default: dativo-plugins/ next to dativo.lock)')
    .option('--yes', "approve the plugin's requested capabilities without asking")
    .option('--frozen', 'refuse any change to dativo.lock');
}

export function secretSource(opts: MarketFlags): SecretSource {
  return {
    secretManager: opts.secretManager,
    secretsDir: opts.secretsDir,
    secretManagerConfig: opts.secretManagerConfig,
    tenantId: opts.tenantId,
  };
}

export function trustOf(opts: MarketFlags): TrustSet {
  return loadTrust((opts.trust ?? []).map((f) => path.resolve(f)));
}

export function registryOf(opts: MarketFlags, url?: string): Promise<PluginRegistry> {
  return openRegistry(url ?? registryUrl(opts.registry), secretSource(opts));
}

export function installContext(opts: MarketFlags): InstallContext {
  return {
    projectDir: findProject(process.cwd()).dir,
    pluginsDir: opts.pluginsDir ? path.resolve(opts.pluginsDir) : undefined,
    yes: opts.yes ?? false,
    frozen: opts.frozen ?? false,
    confirm: hasTty() ? confirmAtTty : undefined,
    log: printLine,
  };
}

/** A secret key file; a password-protected one is opened with plugin_key_password or a TTY prompt. */
export async function loadSecretKey(file: string, opts: MarketFlags): Promise<SecretKey> {
  if (!existsSync(file)) throw new DativoError('CONFIG_NOT_FOUND', `secret key ${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  if (!isEncryptedSecretKey(text)) return parseSecretKey(text, undefined, file);
  let password = await secretFromManager('plugin_key_password', secretSource(opts));
  if (password === undefined && hasTty()) password = await passwordAtTty(`Password for ${file}: `);
  if (password === undefined) {
    throw new DativoError(
      'SECRET_NOT_FOUND',
      `${file} is password-protected: store the password as the secret plugin_key_password in the secret manager, or run at a terminal`,
    );
  }
  masker.register(password);
  return parseSecretKey(text, password, file);
}

/** Run a command body: exit 0 on success, print the error and exit 2 on failure. */
export function action<A extends unknown[]>(
  setExit: (code: number) => void,
  body: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a, i) => i === args.length - 2 && a && typeof a === 'object') as
      | MarketFlags
      | undefined;
    try {
      setExit((await body(...args)) ?? 0);
    } catch (err) {
      printError(err, opts?.verbose ?? false);
      setExit(2);
    }
  };
}

export function out(text: string): void {
  process.stdout.write(`${masker.mask(text)}\n`);
}
