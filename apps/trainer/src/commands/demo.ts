import { trainMlpDemo } from '@codistill/graph';
import { Option, type Command } from 'commander';
import { FLAG_RANGES, numberFlag } from './flag-values.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description("train a small MLP through codistill's autodiff on ONNX Runtime and print the loss per step")
    .option('--steps <n>', 'training steps', numberFlag(FLAG_RANGES.count), 100)
    .addOption(new Option('--optimizer <name>', 'the optimizer').choices(['adamw', 'sgd']).default('adamw'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads', numberFlag(FLAG_RANGES.parallelism))
    .action(async (o: { steps: number; optimizer: 'adamw' | 'sgd'; threads?: number }) => {
      const t0 = performance.now();
      const losses = await trainMlpDemo({
        steps: o.steps,
        optimizer: o.optimizer,
        threads: o.threads,
        onStep: (step, loss, ms) => console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(6)}  ${ms.toFixed(1)} ms`),
      });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`loss ${losses[0].toFixed(4)} -> ${losses[losses.length - 1].toFixed(4)} in ${losses.length} steps (${s} s)`);
    });
}
