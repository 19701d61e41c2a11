import type { Command } from 'commander';

// Each command lives in its own module exporting `register(program)`; this list wires them.
const modules: Array<{ register(program: Command): void }> = [];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
