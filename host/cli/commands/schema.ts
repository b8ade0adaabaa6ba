import { Argument, Command } from 'commander';
import { jobJsonSchema } from '../../config/json-schema.js';
import { printJson } from '../output.js';

export function schemaCommand(setExit: (code: number) => void): Command {
  return new Command('schema')
    .description('Print the JSON Schema of a config file, for editors')
    .addArgument(new Argument('<kind>', 'which file').choices(['job']))
    .addHelpText('after', '\nExample:\n  $ dativo schema job > job.schema.json')
    .action(() => {
      printJson(jobJsonSchema());
      setExit(0);
    });
}
