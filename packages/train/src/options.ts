import { z } from 'zod';
import { LoraConfig } from '@codistill/lora';
import { ScheduleConfig } from '@codistill/losses';

/** Everything a training run needs; validated, with errors naming the field. */
export const TrainOptions = z.object({
  /** Student checkpoint folder (Hugging Face layout). */
  model: z.string().min(1),
  /** Training JSONL: {prompt, target} or {prompt, context, code, tests}. */
  data: z.string().min(1),
  /** Output folder: adapter, checkpoints, log. */
  out: z.string().min(1),
  lora: LoraConfig.default(() => LoraConfig.parse({})),
  optimizer: z.enum(['adamw', 'sgd']).default('adamw'),
  lr: z.number().positive().default(5e-5),
  weightDecay: z.number().min(0).default(0),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  warmupSteps: z.number().int().min(0).default(20),
  decay: z.enum(['constant', 'linear', 'cosine']).default('linear'),
  /** Optimizer steps; defaults to what `epochs` implies. */
  steps: z.number().int().positive().optional(),
  epochs: z.number().positive().default(1),
  batchSize: z.number().int().positive().default(4),
  gradAccum: z.number().int().positive().default(1),
  maxGradNorm: z.number().positive().nullable().default(1),
  maxLength: z.number().int().positive().default(2048),
  seed: z.number().int().default(0),
  /** Structural loss: CodeBERT checkpoint folder; null trains on the token loss alone. */
  codebert: z.string().nullable().default(null),
  schedule: ScheduleConfig.default(() => ScheduleConfig.parse({})),
  /** Fraction of examples held out for validation loss (by a hash of the id). */
  valFraction: z.number().min(0).lt(1).default(0),
  valEvery: z.number().int().positive().default(50),
  checkpointEvery: z.number().int().positive().default(50),
  keepCheckpoints: z.number().int().positive().default(2),
  device: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
  threads: z.number().int().positive().optional(),
  /** ONNX Runtime's CPU memory arena: on is faster, off lowers peak memory (see graph's RunnerOptions). */
  memoryArena: z.boolean().default(true),
  /**
   * Token loss from the final hidden states and the frozen head in chunks of this many positions
   * (chunkedTokenLoss): the [tokens, vocab] logits, log-probabilities and gradient are never held
   * whole. null computes it from the full logits. Not with LoRA on lm_head (the head is frozen there).
   * The chunks are unrolled in the graph, batchSize x maxLength / rows of them: use hundreds of rows.
   */
  chunkedCrossEntropy: z.number().int().positive().nullable().default(null),
  /** Compute dtype of the base model (float16 is for GPUs; LoRA weights and optimizer stay float32). */
  dtype: z.enum(['float32', 'float16']).default('float32'),
  /** Cache for the bridge matrix and ground-truth embeddings (default: <out>/cache). */
  cacheDir: z.string().optional(),
  /** Continue from the newest checkpoint in `out` (without it, an `out` with checkpoints is refused). */
  resume: z.boolean().default(false),
});

export type TrainOptions = z.output<typeof TrainOptions>;
export type TrainOptionsInput = z.input<typeof TrainOptions>;

export function parseTrainOptions(raw: unknown, source = 'training options'): TrainOptions {
  const r = TrainOptions.safeParse(raw);
  if (!r.success) {
    throw new Error(`${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}
