import { Option, type Command } from 'commander';
import { RECOMPUTE_POLICIES, type RecomputePolicy } from '@codistill/graph';
import { resolveModel } from '@codistill/models';
import { parseLoraConfig } from '@codistill/lora';
import { train, type TrainOptionsInput } from '@codistill/train';
import { Interrupted, withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { deviceOptions, type DeviceFlags } from './device-flags.js';
import { FLAG_RANGES, numberFlag } from './flag-values.js';

interface TrainFlags extends DeviceFlags {
  model: string;
  data: string;
  out: string;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  targetModules: string;
  rslora?: boolean;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  decay: 'constant' | 'linear' | 'cosine';
  steps?: number;
  epochs: number;
  batchSize: number;
  gradAccum: number;
  maxGradNorm: number;
  maxLength: number;
  seed: number;
  codebert?: string;
  alphaSchedule: 'constant' | 'linear' | 'cosine' | 'step';
  alphaStart: number;
  alphaEnd: number;
  minAlpha: number;
  minBeta: number;
  valFraction: number;
  checkpointEvery: number;
  dtype: 'float32' | 'float16' | 'bfloat16';
  threads?: number;
  memoryArena: boolean;
  chunkedCrossEntropy: number;
  gradientCheckpointing: RecomputePolicy;
  resume?: boolean | string;
  progress: boolean;
}

/** Flags (numbers already checked by commander) -> the training options (validated by @codistill/train, which names a bad field). */
export function trainOptionsFromFlags(f: TrainFlags, model: string): TrainOptionsInput {
  return {
    model,
    data: f.data,
    out: f.out,
    lora: {
      r: f.loraR,
      lora_alpha: f.loraAlpha,
      lora_dropout: f.loraDropout,
      // PEFT reads 'all-linear' only as the whole string, not as a module name in a list.
      target_modules: f.targetModules === 'all-linear' ? f.targetModules : f.targetModules.split(',').map((s) => s.trim()).filter(Boolean),
      use_rslora: !!f.rslora,
    },
    optimizer: f.optimizer,
    lr: f.lr,
    weightDecay: f.weightDecay,
    warmupSteps: f.warmupSteps,
    decay: f.decay,
    steps: f.steps,
    epochs: f.epochs,
    batchSize: f.batchSize,
    gradAccum: f.gradAccum,
    maxGradNorm: f.maxGradNorm > 0 ? f.maxGradNorm : null,
    maxLength: f.maxLength,
    seed: f.seed,
    codebert: f.codebert ?? null,
    schedule: { kind: f.alphaSchedule, start: f.alphaStart, end: f.alphaEnd, minAlpha: f.minAlpha, minBeta: f.minBeta },
    valFraction: f.valFraction,
    checkpointEvery: f.checkpointEvery,
    device: f.device,
    allowCpuFallback: !!f.allowCpuFallback,
    dtype: f.dtype,
    threads: f.threads,
    memoryArena: f.memoryArena,
    chunkedCrossEntropy: f.chunkedCrossEntropy || null,
    gradientCheckpointing: f.gradientCheckpointing,
    resume: f.resume ?? false,
  };
}

const PEFT_DEFAULTS = parseLoraConfig({});
const positive = numberFlag({ min: 0, minExclusive: true });
const positiveInt = numberFlag({ integer: true, min: 1 });
const nonNegative = numberFlag({ min: 0 });
// Dropout and the validation share must stay below 1; exactly 1 passes here and @codistill/train refuses it, naming the field.
const fraction = numberFlag({ min: 0, max: 1 });

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('LoRA fine-tune a causal LM on JSONL examples (codistill or TRL formats); the adapter lands in --out in PEFT format, checkpoints as Trainer lays them out')
    .requiredOption('--model <dir|hub id>', 'student checkpoint folder or Hub model id')
    .requiredOption('--data <file>', "training JSONL: {prompt, target}, {prompt, context, code, tests}, or TRL's {messages}, {prompt, completion}, {text}")
    .requiredOption('--out <dir>', 'output folder: adapter, checkpoint-N/, train_log.jsonl, runs/ (TensorBoard)')
    // PEFT's LoraConfig defaults, from the one place the library defines them.
    .option('--lora-r <n>', 'LoRA rank r', positiveInt, PEFT_DEFAULTS.r)
    .option('--lora-alpha <n>', 'LoRA alpha', positive, PEFT_DEFAULTS.lora_alpha)
    .option('--lora-dropout <p>', 'dropout on the LoRA branch input', fraction, PEFT_DEFAULTS.lora_dropout)
    .option('--target-modules <list>', "comma-separated module names, or 'all-linear' (every linear layer but the head)", [PEFT_DEFAULTS.target_modules].flat().join(','))
    .option('--rslora', 'scale by alpha / sqrt(r)')
    .option('--optimizer <name>', 'adamw or sgd', 'adamw')
    .option('--lr <x>', 'peak learning rate', positive, 5e-5)
    .option('--weight-decay <x>', 'decoupled weight decay', nonNegative, 0)
    .option('--warmup-steps <n>', 'linear warm-up steps', numberFlag({ integer: true, min: 0 }), 20)
    .option('--decay <kind>', 'after warm-up: constant, linear or cosine', 'linear')
    .option('--steps <n>', 'optimizer steps (default: what --epochs implies)', positiveInt)
    .option('--epochs <n>', 'passes over the data', positive, 1)
    .option('--batch-size <n>', 'examples per micro-batch', positiveInt, 4)
    .option('--grad-accum <n>', 'micro-batches per optimizer step', positiveInt, 1)
    .option('--max-grad-norm <x>', 'global-norm clipping (0 = off)', nonNegative, 1)
    .option('--max-length <n>', 'tokens per example at most', positiveInt, 2048)
    .option('--seed <n>', 'seed for init, data order and dropout', numberFlag(FLAG_RANGES.seed), 0)
    .option('--codebert <dir|hub id>', 'CodeBERT checkpoint: adds the structural loss')
    .option('--alpha-schedule <kind>', 'token-loss weight curriculum: constant, linear, cosine or step', 'linear')
    .option('--alpha-start <x>', 'alpha at the first step', fraction, 1)
    .option('--alpha-end <x>', 'alpha at the last step', fraction, 0.85)
    .option('--min-alpha <x>', 'lower bound on alpha', fraction, 0.05)
    .option('--min-beta <x>', 'lower bound on beta = 1 - alpha', fraction, 0.05)
    .option('--val-fraction <x>', 'fraction held out for validation loss', fraction, 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints', positiveInt, 50)
    .addOption(new Option('--dtype <name>', 'base model compute dtype (16-bit: GPU providers; the CPU computes in float32)').choices(['float32', 'float16', 'bfloat16']).default('float32'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads', numberFlag(FLAG_RANGES.parallelism));
  deviceOptions(command)
    .option('--no-memory-arena', "lower peak memory, slower: return ONNX Runtime's freed blocks to the system")
    .option('--chunked-cross-entropy <rows>', 'losses from the hidden states in chunks of this many positions, so the [tokens, vocab] logits are never held whole; 0 = full logits (LoRA on lm_head needs 0)', numberFlag({ integer: true, min: 0 }), 256)
    .addOption(
      new Option('--gradient-checkpointing [policy]', "recompute activations in the backward pass: 'layer' (alone: keep each decoder layer's input) or 'selective' (also keep the projections' outputs)")
        .choices(RECOMPUTE_POLICIES)
        .preset('layer')
        .default('none'),
    )
    .option('--resume [checkpoint]', "continue from the newest checkpoint in --out, or from the given checkpoint-N folder (Trainer's resume_from_checkpoint)")
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
