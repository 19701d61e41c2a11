import type { Command } from 'commander';

/**
 * The command line with each flag spelt as its command defines it: transformers' and TRL's scripts
 * write `--max_new_tokens`, the CLI conventions `--max-new-tokens`, and codistill's commands differ
 * in which they define, so either spelling of a flag is taken where the command has the other.
 */
export function spellFlags(program: Command, argv: readonly string[]): string[] {
  let command = program;
  let sawFlag = false;
  const out = [...argv];
  for (let i = 2; i < out.length; i++) {
    const token = out[i];
    if (token === '--') break;
    if (!token.startsWith('-')) {
      // Subcommands come before their flags; later words are values.
      if (!sawFlag) command = command.commands.find((c) => c.name() === token || c.aliases().includes(token)) ?? command;
      continue;
    }
    sawFlag = true;
    if (!token.startsWith('--')) continue;
    const [flag, value] = splitFlag(token);
    const known = new Set(command.options.flatMap((o) => (o.long ? [o.long] : [])));
    const twin = `--${flag.slice(2).replace(/[-_]/g, (c) => (c === '-' ? '_' : '-'))}`;
    if (!known.has(flag) && known.has(twin)) out[i] = value === undefined ? twin : `${twin}=${value}`;
  }
  return out;
}

function splitFlag(token: string): [string, string | undefined] {
  const at = token.indexOf('=');
  return at < 0 ? [token, undefined] : [token.slice(0, at), token.slice(at + 1)];
}
