import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { spellFlags } from './flag-spelling.js';
import { Interrupted } from './interrupt.js';

const program = new Command('codistill')
  .description('Reasoning distillation with structure-aware LoRA fine-tuning for code models')
  .showHelpAfterError();
registerCommands(program);
try {
  await program.parseAsync(spellFlags(program, process.argv));
} catch (error) {
  // Errors name the file/field at fault; the stack helps only when debugging codistill itself.
  if (error instanceof Interrupted) {
    console.error(`interrupted: ${error.message}`);
    process.exit(130);
  }
  console.error(`codistill: ${process.env.CODISTILL_DEBUG ? (error as Error).stack : (error as Error).message}`);
  process.exit(1);
}
