/** `dativo plugin install | list | remove | update | verify | pull`: the user's side. */
import { Command } from 'commander';
import { removePlugin } from '../../marketplace/install.js';
import { findProject, LOCK_FILE, readLock } from '../../marketplace/lock.js';
import { installSpec, pullSpec, updatePlugins } from '../../marketplace/operations.js';
import { verifyInstalled } from '../../marketplace/verify.js';
import { printJson, printLine } from '../output.js';
import {
  action,
  installContext,
  type MarketFlags,
  out,
  registryOf,
  trustOf,
  withInstallFlags,
  withRegistry,
  withTrust,
} from './plugin-market-shared.js';

function installCommand(setExit: (code: number) => void): Command {
  return withInstallFlags(withTrust(withRegistry(new Command('install'))))
    .description(
      'Install a signed plugin from a registry (NAME[@range]), an OCI layout (oci:DIR[:VERSION]) or a folder',
    )
    .argument('<spec>', 'NAME[@semver-range] | oci:DIR[:VERSION] | ./plugin-folder')
    .addHelpText(
      'after',
      '\nExample:\n  $ dativo plugin trust acme.pub\n  $ dativo plugin install csv-reader@^0.1 --registry http://127.0.0.1:5000/dativo\n\nExit codes: 0 installed, 2 refused (unsigned, tampered, untrusted key, yanked, incompatible ABI, capabilities not approved, --frozen).',
    )
    .action(
      action(setExit, async (spec: string, opts: MarketFlags) => {
        const ctx = installContext(opts);
        const res = await installSpec(spec, () => registryOf(opts), trustOf(opts), ctx);
        if (opts.json) printJson(res);
        else
          printLine(
            `installed ${res.name}@${res.version} into ${res.path} (${res.digest}${res.key_id ? `, signed by ${res.key_id}` : ', unsigned'})`,
          );
        return 0;
      }),
    );
}

function listCommand(setExit: (code: number) => void): Command {
  return new Command('list')
    .description('Installed plugins (from dativo.lock)')
    .option('--json', 'print the lock entries as JSON')
    .option('--verbose', 'stack traces on errors')
    .action(
      action(setExit, (opts: MarketFlags) => {
        const lock = readLock(findProject(process.cwd()).dir);
        if (opts.json) printJson(lock.plugins);
        else
          for (const [name, e] of Object.entries(lock.plugins))
            out(`${name}@${e.version}  abi ${e.abi}  ${e.source} ${e.location}  ${e.key_id ?? 'unsigned'}`);
        return 0;
      }),
    );
}

function removeCommand(setExit: (code: number) => void): Command {
  return new Command('remove')
    .description('Uninstall a plugin: its dativo.lock entry and its folder')
    .argument('<name>', 'plugin name')
    .option('--frozen', 'refuse any change to dativo.lock')
    .option('--json', 'print the removed entry as JSON')
    .option('--verbose', 'stack traces on errors')
    .action(
      action(setExit, (name: string, opts: MarketFlags) => {
        const entry = removePlugin(name, installContext(opts));
        if (opts.json) printJson({ name, ...entry });
        else printLine(`removed ${name}@${entry.version}`);
        return 0;
      }),
    );
}

function updateCommand(setExit: (code: number) => void): Command {
  return withInstallFlags(withTrust(withRegistry(new Command('update'))))
    .description('Update installed plugins to the newest version within the range they were installed with')
    .argument('[names...]', 'plugins to update (default: all)')
    .action(
      action(setExit, async (names: string[], opts: MarketFlags) => {
        const changes = await updatePlugins(
          names,
          (url) => registryOf(opts, url),
          trustOf(opts),
          installContext(opts),
        );
        if (opts.json) printJson(changes);
        else if (changes.length === 0) printLine('everything is up to date');
        else for (const c of changes) printLine(`updated ${c.name} ${c.from} → ${c.to}`);
        return 0;
      }),
    );
}

function verifyCommand(setExit: (code: number) => void): Command {
  return withTrust(new Command('verify'))
    .description(
      `Re-hash every installed file against ${LOCK_FILE} and re-check signatures against the trusted keys`,
    )
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'stack traces on errors')
    .addHelpText(
      'after',
      '\nExit codes: 0 everything matches, 2 a file changed or a signature no longer verifies (each is named).',
    )
    .action(
      action(setExit, (opts: MarketFlags) => {
        const res = verifyInstalled(findProject(process.cwd()).dir, trustOf(opts));
        if (opts.json) printJson({ ok: res.problems.length === 0, ...res });
        else if (res.problems.length === 0)
          printLine(
            `verified ${res.checked.length} plugin(s): ${res.checked.join(', ') || 'none installed'}`,
          );
        for (const p of res.problems) printLine(`error: ${p}`);
        return res.problems.length === 0 ? 0 : 2;
      }),
    );
}

function pullCommand(setExit: (code: number) => void): Command {
  return withTrust(withRegistry(new Command('pull')))
    .description('Copy a signed plugin version into an OCI image layout, for air-gapped installs')
    .argument('<spec>', 'NAME[@semver-range]')
    .requiredOption('--to <oci:DIR>', 'OCI image layout folder')
    .action(
      action(setExit, async (spec: string, opts: MarketFlags & { to: string }) => {
        const res = await pullSpec(spec, opts.to, await registryOf(opts), trustOf(opts));
        if (opts.json) printJson(res);
        else
          printLine(
            `pulled ${res.name}@${res.version} (${res.digest}) into ${res.dir}; install it with dativo plugin install oci:${res.dir}`,
          );
        return 0;
      }),
    );
}

export function installSideCommands(setExit: (code: number) => void): Command[] {
  return [
    installCommand(setExit),
    listCommand(setExit),
    removeCommand(setExit),
    updateCommand(setExit),
    verifyCommand(setExit),
    pullCommand(setExit),
  ];
}
