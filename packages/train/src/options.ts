import { z } from 'zod';
import { EXECUTION_PROVIDERS, RECOMPUTE_POLICIES } from '@codistill/graph';
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
  device: z.enum(EXECUTION_PROVIDERS).default('cpu'),
  threads: z.number().int().positive().optional(),
  /** ONNX Runtime's CPU memory arena: on is faster, off lowers peak memory (see graph's RunnerOptions). */
  memoryArena: z.boolean().default(true),
  /**
   * On 'cuda' or 'webgpu', run even when compute nodes have no kernel there and fall back to the
   * CPU (with device <-> host copies each step). Default: refuse, naming the ops.
   */
  allowCpuFallback: z.boolean().default(false),
  /**
   * Token loss from the final hidden states and the frozen head in chunks of this many positions
   * (chunkedTokenLoss), and the structural loss's code-position logits likewise (recomputed chunk
   * by chunk in the backward pass): the [tokens, vocab] logits, probabilities and gradient are
   * never held whole. null computes both from the full logits (needed for LoRA on lm_head: the
   * head is frozen here). The chunks are unrolled in the graph, batchSize x maxLength / rows of
   * them: use hundreds of rows. 256 measured best on the 58M benchmark (less memory than full
   * logits at the same speed; see the README).
   */
  chunkedCrossEntropy: z.number().int().positive().nullable().default(256),
  /**
   * Activation recomputation, as Hugging Face Trainer's gradient_checkpointing: 'layer' keeps each
   * decoder layer's input and recomputes the layer in the backward pass; 'selective' also keeps the
   * projections' outputs and recomputes attention and elementwise intermediates; 'none' keeps all.
   */
  gradientCheckpointing: z.enum(RECOMPUTE_POLICIES).default('none'),
  /**
   * Compute dtype of the frozen base model: float16 or bfloat16 halve its weights' memory on a GPU
   * provider. LoRA weights, gradients and AdamW state stay float32. ONNX Runtime's CPU provider
   * has no 16-bit matrix products worth using, so on the CPU the base model computes in float32
   * (with a warning).
   */
  dtype: z.enum(['float32', 'float16', 'bfloat16']).default('float32'),
  /** Cache for the bridge matrix and ground-truth embeddings (default: <out>/cache). */
  cacheDir: z.string().optional(),
  /**
   * true: continue from the newest whole checkpoint in `out`; a path: from that checkpoint folder
   * (Trainer's resume_from_checkpoint). Without it, an `out` with checkpoints is refused.
   */
  resume: z.union([z.boolean(), z.string().min(1)]).default(false),
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
