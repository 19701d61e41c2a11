import type { Command } from 'commander';
import * as demo from './demo.js';

// Each command lives in its own module exporting `register(program)`; this list wires them.
const modules: Array<{ register(program: Command): void }> = [demo];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
