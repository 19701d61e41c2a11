import { trainMlpDemo } from '@codistill/graph';
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('demo')
    .description("train a small MLP through codistill's autodiff on ONNX Runtime and print the loss per step")
    .option('--steps <n>', 'training steps', '100')
    .option('--optimizer <name>', 'adamw or sgd', 'adamw')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .action(async (o: { steps: string; optimizer: 'adamw' | 'sgd'; threads?: string }) => {
      const t0 = performance.now();
      const losses = await trainMlpDemo({
        steps: Number(o.steps),
        optimizer: o.optimizer,
        threads: o.threads ? Number(o.threads) : undefined,
        onStep: (step, loss, ms) => console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(6)}  ${ms.toFixed(1)} ms`),
      });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`loss ${losses[0].toFixed(4)} -> ${losses[losses.length - 1].toFixed(4)} in ${losses.length} steps (${s} s)`);
    });
}
