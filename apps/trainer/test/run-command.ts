import { Command } from 'commander';

/** Run one CLI command on a fresh program (errors throw) and return the lines it printed with console.log. */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string[]> {
  const program = new Command('codistill').exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
  }
  return lines;
}
