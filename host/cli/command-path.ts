/**
 * Unknown commands and subcommands are errors naming the nearest command. Commander handles
 * `--help` before it notices an unknown subcommand (`dativo plugin frobnicate --help` printed the
 * plugin help and exited 0), so the command words are checked here, before parsing.
 */
import type { Command } from 'commander';
import { nearest } from '../config/issues.js';

function namesOf(cmd: Command): string[] {
  return cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

/**
 * The message for the first command word (after the program or a command with subcommands) that
 * names no command, or undefined. Only the words before the first option are command words.
 */
export function unknownCommandMessage(program: Command, args: readonly string[]): string | undefined {
  let cmd = program;
  const path = [program.name()];
  for (const word of args) {
    if (word.startsWith('-') || cmd.commands.length === 0) return undefined;
    if (word === 'help') return undefined;
    const next = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) {
      const names = namesOf(cmd);
      const near = nearest(word, names).best;
      return (
        `unknown command '${[...path.slice(1), word].join(' ')}'` +
        (near ? ` (the nearest is '${[...path.slice(1), near].join(' ')}')` : '') +
        `; commands: ${names.join(', ')}`
      );
    }
    cmd = next;
    path.push(word);
  }
  return undefined;
}
