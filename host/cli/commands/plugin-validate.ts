import { Command } from 'commander';
import { validatePlugin } from '../../plugin-dev/validate.js';
import { printError, printJson, printLine } from '../output.js';

export function pluginValidateCommand(setExit: (code: number) => void): Command {
  return new Command('validate')
    .description(
      'Check a built plugin without running it: manifest, ABI version, sha256, wasm header, world/exports, capabilities declared vs used, contracts',
    )
    .argument('[dir]', 'plugin folder (holding dativo-plugin.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'stack traces on errors')
    .addHelpText(
      'after',
      '\nExample:\n  $ dativo plugin build my-reader && dativo plugin validate my-reader\n\nExit codes: 0 valid (warnings are printed), 2 the first problem found (printed).',
    )
    .action(async (dir: string, opts: { json?: boolean; verbose?: boolean }) => {
      try {
        const report = await validatePlugin(dir);
        if (opts.json) printJson(report);
        else {
          for (const w of report.warnings) printLine(`warning: ${report.plugin}: ${w}`);
          printLine(
            `ok ${report.plugin} (${report.role}, runtime ${report.runtime}, abi ${report.abi}): exports ${report.exports.join(', ')}` +
              (report.contracts.length > 0 ? `; contracts ${report.contracts.join(', ')}` : ''),
          );
        }
        setExit(0);
      } catch (err) {
        printError(err, opts.verbose ?? false);
        setExit(2);
      }
    });
}
