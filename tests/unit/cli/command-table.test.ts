/** The lazy COMMANDS table matches the commands it loads, so `dativo --help` cannot drift. */
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandWordsOf } from '../../../host/cli/main.js';

describe('COMMANDS', () => {
  for (const row of COMMANDS) {
    it(`${row.name}: the help line is the loaded command's`, async () => {
      const cmd = (await row.load())(() => {});
      expect(cmd.name()).toBe(row.name);
      expect(cmd.description()).toBe(row.description);
      expect(new Help().subcommandTerm(cmd)).toBe(row.term);
    }, 60_000);
  }

  it('names each command once', () => {
    const names = COMMANDS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('commandWordsOf', () => {
  it('is the first word that is not an option', () => {
    expect(commandWordsOf(['run', '--config', 'job.yaml'])).toEqual(['run']);
    expect(commandWordsOf(['--version'])).toEqual([]);
    expect(commandWordsOf([])).toEqual([]);
  });

  it('also names the command after help', () => {
    expect(commandWordsOf(['help', 'plugin'])).toEqual(['help', 'plugin']);
    expect(commandWordsOf(['help'])).toEqual(['help']);
  });
});
