import path from 'node:path';
import { Command, Option } from 'commander';
import {
  initPlugin,
  LANGUAGES,
  type PluginLanguage,
  type PluginRole,
  ROLES,
} from '../../plugin-dev/scaffold.js';
import { launcherCommand } from '../launcher.js';
import { printError, printJson, printLine } from '../output.js';

export function pluginInitCommand(setExit: (code: number) => void): Command {
  return new Command('init')
    .description(
      'Scaffold a working plugin (a reader or writer) from the Dativo template, in a new or empty folder',
    )
    .argument('<name>', 'plugin name: names the crate, the module and the manifest')
    .addOption(new Option('--lang <lang>', 'plugin language').choices([...LANGUAGES]).default('rust'))
    .addOption(
      new Option('--role <role>', 'reader or writer (writer: --lang ts only)')
        .choices([...ROLES])
        .default('reader'),
    )
    .option('--dir <dir>', 'folder to create it in (default: ./<name>)')
    .option('--json', 'print what was written as JSON')
    .option('--verbose', 'stack traces on errors')
    .addHelpText(
      'after',
      '\nExample:\n  $ dativo plugin init --lang rust my-reader\n  $ dativo plugin init --lang ts --role writer my-writer\n  $ dativo plugin init --lang python my-py-reader\n  $ cd my-reader && dativo plugin build && dativo plugin test\n\nExit codes: 0 written, 2 refused (e.g. the folder is not empty).',
    )
    .action(
      (
        name: string,
        opts: { lang: PluginLanguage; role: PluginRole; dir?: string; json?: boolean; verbose?: boolean },
      ) => {
        try {
          const res = initPlugin({
            name,
            lang: opts.lang,
            role: opts.role,
            ...(opts.dir ? { dir: opts.dir } : {}),
          });
          if (opts.json) printJson(res);
          else {
            printLine(
              `created ${opts.lang} ${opts.role} plugin ${name} in ${res.dir} (${res.files.length} files)`,
            );
            const rel = path.relative(process.cwd(), res.dir) || '.';
            const dativo = launcherCommand();
            printLine(`next: ${dativo} plugin build ${rel} && ${dativo} plugin test ${rel}`);
          }
          setExit(0);
        } catch (err) {
          printError(err, opts.verbose ?? false);
          setExit(2);
        }
      },
    );
}
