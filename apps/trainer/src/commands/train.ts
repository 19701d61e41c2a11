import type { Command } from 'commander';
import { resolveModel } from '@codistill/models';
import { train, type TrainOptionsInput } from '@codistill/train';
import { Interrupted, withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { optionalNumber } from './flag-values.js';

interface TrainFlags {
  model: string;
  data: string;
  out: string;
  loraR: string;
  loraAlpha: string;
  loraDropout: string;
  targetModules: string;
  rslora?: boolean;
  optimizer: 'adamw' | 'sgd';
  lr: string;
  weightDecay: string;
  warmupSteps: string;
  decay: 'constant' | 'linear' | 'cosine';
  steps?: string;
  epochs: string;
  batchSize: string;
  gradAccum: string;
  maxGradNorm: string;
  maxLength: string;
  seed: string;
  codebert?: string;
  alphaSchedule: 'constant' | 'linear' | 'cosine' | 'step';
  alphaStart: string;
  alphaEnd: string;
  minAlpha: string;
  minBeta: string;
  valFraction: string;
  checkpointEvery: string;
  device: 'cpu' | 'cuda' | 'webgpu';
  dtype: 'float32' | 'float16';
  threads?: string;
  memoryArena: boolean;
  resume?: boolean;
  progress: boolean;
}

/** Flags -> the training options (validated by @codistill/train, which names a bad field). */
export function trainOptionsFromFlags(f: TrainFlags, model: string): TrainOptionsInput {
  return {
    model,
    data: f.data,
    out: f.out,
    lora: {
      r: Number(f.loraR),
      lora_alpha: Number(f.loraAlpha),
      lora_dropout: Number(f.loraDropout),
      target_modules: f.targetModules.split(',').map((s) => s.trim()).filter(Boolean),
      use_rslora: !!f.rslora,
    },
    optimizer: f.optimizer,
    lr: Number(f.lr),
    weightDecay: Number(f.weightDecay),
    warmupSteps: Number(f.warmupSteps),
    decay: f.decay,
    steps: optionalNumber(f.steps),
    epochs: Number(f.epochs),
    batchSize: Number(f.batchSize),
    gradAccum: Number(f.gradAccum),
    maxGradNorm: Number(f.maxGradNorm) > 0 ? Number(f.maxGradNorm) : null,
    maxLength: Number(f.maxLength),
    seed: Number(f.seed),
    codebert: f.codebert ?? null,
    schedule: { kind: f.alphaSchedule, start: Number(f.alphaStart), end: Number(f.alphaEnd), minAlpha: Number(f.minAlpha), minBeta: Number(f.minBeta) },
    valFraction: Number(f.valFraction),
    checkpointEvery: Number(f.checkpointEvery),
    device: f.device,
    dtype: f.dtype,
    threads: optionalNumber(f.threads),
    memoryArena: f.memoryArena,
    resume: !!f.resume,
  };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('LoRA fine-tune a causal LM on {prompt, target} or {prompt, context, code, tests} JSONL; the adapter lands in --out in PEFT format')
    .requiredOption('--model <dir|hub id>', 'student checkpoint folder or Hub model id')
    .requiredOption('--data <file>', 'training JSONL')
    .requiredOption('--out <dir>', 'output folder: adapter, checkpoints/, train_log.jsonl')
    .option('--lora-r <n>', 'LoRA rank r', '16')
    .option('--lora-alpha <n>', 'LoRA alpha', '32')
    .option('--lora-dropout <p>', 'dropout on the LoRA branch input', '0.1')
    .option('--target-modules <list>', 'comma-separated module names', 'q_proj,v_proj')
    .option('--rslora', 'scale by alpha / sqrt(r)')
    .option('--optimizer <name>', 'adamw or sgd', 'adamw')
    .option('--lr <x>', 'peak learning rate', '5e-5')
    .option('--weight-decay <x>', 'decoupled weight decay', '0')
    .option('--warmup-steps <n>', 'linear warm-up steps', '20')
    .option('--decay <kind>', 'after warm-up: constant, linear or cosine', 'linear')
    .option('--steps <n>', 'optimizer steps (default: what --epochs implies)')
    .option('--epochs <n>', 'passes over the data', '1')
    .option('--batch-size <n>', 'examples per micro-batch', '4')
    .option('--grad-accum <n>', 'micro-batches per optimizer step', '1')
    .option('--max-grad-norm <x>', 'global-norm clipping (0 = off)', '1')
    .option('--max-length <n>', 'tokens per example at most', '2048')
    .option('--seed <n>', 'seed for init, data order and dropout', '0')
    .option('--codebert <dir|hub id>', 'CodeBERT checkpoint: adds the structural loss')
    .option('--alpha-schedule <kind>', 'token-loss weight curriculum: constant, linear, cosine or step', 'linear')
    .option('--alpha-start <x>', 'alpha at the first step', '1')
    .option('--alpha-end <x>', 'alpha at the last step', '0.85')
    .option('--min-alpha <x>', 'lower bound on alpha', '0.05')
    .option('--min-beta <x>', 'lower bound on beta = 1 - alpha', '0.05')
    .option('--val-fraction <x>', 'fraction held out for validation loss', '0')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '50')
    .option('--device <name>', 'cpu, cuda or webgpu', 'cpu')
    .option('--dtype <name>', 'base model compute dtype: float32 or float16 (GPU)', 'float32')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--no-memory-arena', "lower peak memory, slower: return ONNX Runtime's freed blocks to the system")
    .option('--resume', 'continue from the newest checkpoint in --out')
    .option('--no-progress', 'no progress bar (log lines only)')
    .action(async (f: TrainFlags) => {
      const model = await resolveModel(f.model);
      const opts = trainOptionsFromFlags(f, model);
      if (f.codebert) opts.codebert = await resolveModel(f.codebert);
      const bar = progressBar('train', f.progress && process.stderr.isTTY, ['loss', 'tok/s']);
      const result = await withInterrupt((signal) =>
        train(opts, {
          signal,
          onStep: (log, total) => {
            if (!f.progress) console.error(JSON.stringify(log));
            bar.update(log.step, total, { loss: log.loss.toFixed(4), 'tok/s': log.tokens_per_s.toFixed(0) });
          },
        }),
      );
      bar.stop();
      console.log(JSON.stringify(result));
      if (result.interrupted) throw new Interrupted(`stopped at step ${result.steps}: rerun with --resume to continue`);
    });
}
