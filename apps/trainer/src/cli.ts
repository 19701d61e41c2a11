import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('codistill')
  .description('Reasoning distillation with structure-aware LoRA fine-tuning for code models')
  .showHelpAfterError();
registerCommands(program);
await program.parseAsync(process.argv);
