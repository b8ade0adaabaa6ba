import { Command } from 'commander';
import { buildPlugin } from '../../plugin-dev/build.js';
import { printError, printJson, printLine } from '../output.js';

export function pluginBuildCommand(setExit: (code: number) => void): Command {
  return new Command('build')
    .description(
      'Build a plugin (Rust: an Extism module; TypeScript: a component; Python: a compile check) and update its manifest sha256',
    )
    .argument('[dir]', 'plugin folder (holding dativo-plugin.yaml and Cargo.toml)', '.')
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'stack traces on errors')
    .addHelpText(
      'after',
      '\nNeeds Debian rustc-web, cargo-web, rust-web-src and lld (offline; no crates.io).\n\nExit codes: 0 built, 2 failed (toolchain missing, compile error, module the host would refuse).',
    )
    .action(async (dir: string, opts: { json?: boolean; verbose?: boolean }) => {
      try {
        const res = await buildPlugin({ dir });
        if (opts.json) printJson(res);
        else
          printLine(
            `built ${res.manifest.name} ${res.manifest.version}: ${res.wasm} (${res.bytes} bytes, sha256 ${res.sha256.slice(0, 12)}…) in ${res.ms} ms`,
          );
        setExit(0);
      } catch (err) {
        printError(err, opts.verbose ?? false);
        setExit(2);
      }
    });
}
