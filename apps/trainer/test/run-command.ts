import { Command } from 'commander';
import { spellFlags } from '../src/flag-spelling.js';

/**
 * Run one CLI command on a fresh program (errors throw) and return the lines it printed with
 * console.log. Flags are spelt as cli.ts spells them (spellFlags), so either spelling works here too.
 */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string[]> {
  const program = new Command('codistill').exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    await program.parseAsync(spellFlags(program, ['node', 'codistill', ...args]), { from: 'node' });
  } finally {
    console.log = log;
  }
  return lines;
}

/**
 * Each bad value of a numeric flag is refused by commander before any work: exit code 1, the flag
 * (`'--top-p <p>'`, as its help spells it) and, where given, the expected range named.
 */
export async function expectFlagsRefused(run: (flag: string, value: string) => Promise<unknown>, bad: Array<[flag: string, value: string, expected?: string]>): Promise<void> {
  for (const [flag, value, expected] of bad) {
    const message = `option '${flag}' argument '${value}' is invalid.${expected ? ` ${expected}` : ''}`;
    await expect(run(flag.split(' ')[0], value)).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining(message) });
  }
}
