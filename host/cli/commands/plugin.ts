import { Command } from 'commander';
import { pluginBuildCommand } from './plugin-build.js';
import { pluginInitCommand } from './plugin-init.js';
import { installSideCommands } from './plugin-install.js';
import { publishSideCommands } from './plugin-publish.js';
import { pluginTestCommand } from './plugin-test.js';
import { pluginValidateCommand } from './plugin-validate.js';

/** `dativo plugin init | build | test | validate`, then the marketplace: pack, publish, install, verify. */
export function pluginCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('plugin')
    .description(
      'Write plugins (init, build, test, validate) and share them (pack, publish, install, verify)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ dativo plugin init --lang rust my-reader\n  $ dativo plugin build my-reader\n  $ dativo plugin test my-reader',
    );
  for (const sub of [
    pluginInitCommand(setExit),
    pluginBuildCommand(setExit),
    pluginTestCommand(setExit),
    pluginValidateCommand(setExit),
    // The marketplace (docs/marketplace.md): pack, sign, publish, install, verify.
    ...publishSideCommands(setExit),
    ...installSideCommands(setExit),
  ]) {
    cmd.addCommand(sub.exitOverride());
  }
  return cmd;
}
