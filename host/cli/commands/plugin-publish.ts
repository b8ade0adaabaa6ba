/** `dativo plugin pack | keygen | trust | publish | yank | search | info`: the publisher's side. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { DativoError } from '../../errors.js';
import { packDir } from '../../marketplace/artifact.js';
import { secretFromManager } from '../../marketplace/credentials.js';
import { generateKeyPair } from '../../marketplace/minisign.js';
import { publish, yank } from '../../marketplace/publish.js';
import { parseSpec } from '../../marketplace/resolve.js';
import { pluginInfo, searchPlugins, type VersionInfo } from '../../marketplace/search.js';
import { LayoutWriter } from '../../marketplace/store.js';
import { listTrusted, revokeKey, trustDir, trustKey } from '../../marketplace/trust.js';
import { withSecretOptions } from '../options.js';
import { printJson, printLine } from '../output.js';
import { hasTty, passwordAtTty } from '../prompt.js';
import {
  action,
  loadSecretKey,
  type MarketFlags,
  out,
  registryOf,
  secretSource,
  trustOf,
  withRegistry,
  withTrust,
} from './plugin-market-shared.js';

function packCommand(setExit: (code: number) => void): Command {
  return new Command('pack')
    .description('Pack a built plugin folder as an OCI artifact (optionally into an OCI image layout)')
    .argument('[dir]', 'plugin folder holding dativo-plugin.yaml and the built module', '.')
    .option('--to <oci:DIR>', 'write the artifact into this OCI image layout folder, tagged with its version')
    .option('--json', 'print the artifact (digest, layers) as JSON')
    .option('--verbose', 'stack traces on errors')
    .action(
      action(setExit, (dir: string, opts: { to?: string; json?: boolean }) => {
        const a = packDir(dir);
        if (opts.to) {
          if (!opts.to.startsWith('oci:'))
            throw new DativoError('CONFIG_INVALID', `--to ${opts.to}: expected oci:DIR`);
          const w = new LayoutWriter(path.resolve(opts.to.slice(4)));
          w.putBlob(a.config);
          for (const f of a.files) w.putBlob(f.bytes);
          w.tag(a.manifestBytes, a.plugin.version);
        }
        const layers = a.files.map((f) => ({ file: f.name, mediaType: f.mediaType, size: f.bytes.length }));
        if (opts.json)
          printJson({
            name: a.plugin.name,
            version: a.plugin.version,
            abi: a.plugin.abi,
            digest: a.digest,
            layers,
          });
        else printLine(`packed ${a.plugin.name}@${a.plugin.version}: ${a.digest} (${layers.length} layers)`);
        return 0;
      }),
    );
}

function keygenCommand(setExit: (code: number) => void): Command {
  return withSecretOptions(new Command('keygen'))
    .description("Make a publisher key pair in minisign's format (<out>.key, <out>.pub)")
    .option('--out <prefix>', 'file prefix', 'dativo-publisher')
    .option('--unencrypted', 'do not protect the secret key with a password (like minisign -W)')
    .option('--force', 'overwrite existing key files')
    .option('--tenant-id <id>', 'tenant whose secret plugin_key_password sets the password', 'default')
    .option('--json', 'print the key id and files as JSON')
    .option('--verbose', 'stack traces on errors')
    .action(
      action(setExit, async (opts: MarketFlags & { out: string; unencrypted?: boolean; force?: boolean }) => {
        const [keyFile, pubFile] = [`${opts.out}.key`, `${opts.out}.pub`];
        if (!opts.force && (existsSync(keyFile) || existsSync(pubFile))) {
          throw new DativoError(
            'CONFIG_INVALID',
            `${keyFile} or ${pubFile} exists; pass --force to replace it`,
          );
        }
        let password: string | undefined;
        if (!opts.unencrypted) {
          password = await secretFromManager('plugin_key_password', secretSource(opts));
          if (password === undefined && hasTty()) {
            password = await passwordAtTty('Password for the new key: ');
            if ((await passwordAtTty('Password again: ')) !== password)
              throw new DativoError('CONFIG_INVALID', 'the passwords differ');
          }
          if (password === undefined) {
            throw new DativoError(
              'SECRET_NOT_FOUND',
              'no password: set the secret plugin_key_password, run at a terminal, or pass --unencrypted',
            );
          }
        }
        const kp = generateKeyPair(password);
        writeFileSync(keyFile, kp.secretKey, { mode: 0o600 });
        writeFileSync(pubFile, kp.publicKey);
        if (opts.json)
          printJson({ keyId: kp.keyId, secretKey: path.resolve(keyFile), publicKey: path.resolve(pubFile) });
        else
          printLine(
            `key ${kp.keyId}: secret key ${keyFile} (keep it private), public key ${pubFile} (give it to users)`,
          );
        return 0;
      }),
    );
}

function trustCommand(setExit: (code: number) => void): Command {
  return new Command('trust')
    .description('Trust a publisher public key (minisign format), list trusted keys, or revoke one')
    .argument('[keyfile]', 'public key file to trust')
    .option('--revoke <keyid>', 'stop trusting this key id; verify then fails for plugins it signed')
    .option('--list', 'list trusted key ids')
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'stack traces on errors')
    .action(
      action(
        setExit,
        (keyfile: string | undefined, opts: { revoke?: string; list?: boolean; json?: boolean }) => {
          if (opts.revoke) {
            const was = revokeKey(opts.revoke);
            if (opts.json) printJson({ revoked: opts.revoke.toUpperCase(), wasTrusted: was });
            else printLine(`revoked key ${opts.revoke.toUpperCase()}${was ? '' : ' (it was not trusted)'}`);
          } else if (keyfile) {
            const id = trustKey(keyfile);
            if (opts.json) printJson({ trusted: id, dir: trustDir() });
            else printLine(`trusted key ${id} (${trustDir()})`);
          } else {
            const ids = listTrusted();
            if (opts.json) printJson({ trusted: ids, dir: trustDir() });
            else for (const id of ids) out(id);
          }
          return 0;
        },
      ),
    );
}

function publishCommand(setExit: (code: number) => void): Command {
  return withRegistry(new Command('publish'))
    .description('Pack, sign and push a plugin and its signature to an OCI registry')
    .argument('[dir]', 'plugin folder', '.')
    .requiredOption(
      '--key <seckey>',
      'minisign secret key file (password from plugin_key_password or the terminal)',
    )
    .action(
      action(setExit, async (dir: string, opts: MarketFlags & { key: string }) => {
        const artifact = packDir(dir);
        const sk = await loadSecretKey(opts.key, opts);
        const res = await publish(await registryOf(opts), artifact, sk);
        if (opts.json) printJson(res);
        else
          printLine(
            `published ${res.name}@${res.version} to ${res.repository} (${res.digest}, signed by ${res.keyId})`,
          );
        return 0;
      }),
    );
}

function yankCommand(setExit: (code: number) => void): Command {
  return withRegistry(new Command('yank'))
    .description('Mark a published version yanked: installs skip it unless it is pinned exactly')
    .argument('<spec>', 'NAME@VERSION')
    .option('--reason <text>', 'why', '')
    .action(
      action(setExit, async (spec: string, opts: MarketFlags & { reason: string }) => {
        const { name, range } = parseSpec(spec);
        const digest = await yank(await registryOf(opts), name, range, opts.reason);
        if (opts.json) printJson({ name, version: range, digest, yanked: true });
        else printLine(`yanked ${name}@${range} (${digest})`);
        return 0;
      }),
    );
}

function versionLine(v: VersionInfo): string {
  const flags = [
    v.yanked ? 'YANKED' : '',
    `signature ${v.signature}${v.keyId ? ` (${v.keyId})` : ''}`,
  ].filter(Boolean);
  return `${v.version}  abi ${v.abi}  ${v.role}/${v.runtime}  ${flags.join('  ')}`;
}

function searchCommand(setExit: (code: number) => void): Command {
  return withTrust(withRegistry(new Command('search')))
    .description("Find plugins in a registry by name or description (read live from the registry's catalog)")
    .argument('[term]', 'text to look for', '')
    .action(
      action(setExit, async (term: string, opts: MarketFlags) => {
        const found = await searchPlugins(await registryOf(opts), term, trustOf(opts));
        if (opts.json) printJson(found);
        else
          for (const p of found) {
            const v = p.versions[0];
            out(`${p.name}  ${p.allVersions.join(', ')}  ${v?.description ?? ''}`);
            if (v) out(`  newest: ${versionLine(v)}`);
          }
        return 0;
      }),
    );
}

function infoCommand(setExit: (code: number) => void): Command {
  return withTrust(withRegistry(new Command('info')))
    .description('Every published version of a plugin: ABI, capabilities, signer, yanked flag')
    .argument('<name>', 'plugin name')
    .action(
      action(setExit, async (name: string, opts: MarketFlags) => {
        const info = await pluginInfo(await registryOf(opts), name, trustOf(opts));
        if (opts.json) printJson(info);
        else {
          out(`${info.name} (${info.repository})`);
          for (const v of info.versions)
            out(`  ${versionLine(v)}\n    ${v.digest}\n    capabilities ${JSON.stringify(v.capabilities)}`);
        }
        return 0;
      }),
    );
}

export function publishSideCommands(setExit: (code: number) => void): Command[] {
  return [
    packCommand(setExit),
    keygenCommand(setExit),
    trustCommand(setExit),
    publishCommand(setExit),
    yankCommand(setExit),
    searchCommand(setExit),
    infoCommand(setExit),
  ];
}
