import { describeIssues } from '@codistill/util';
import { z } from 'zod';
import { EXECUTION_PROVIDERS, RECOMPUTE_POLICIES, type ExecutionProvider, type RecomputePolicy } from '@codistill/graph';
import { LoraConfig } from '@codistill/lora';
import { ScheduleConfig } from '@codistill/losses';

/**
 * attention_query_blocks' auto choice. Measured (packages/train README): at Llama-3.1-8B width and
 * 2,048 tokens 4 blocks cut a layer-checkpointed step's peak by 20 % and ran faster; on the 58M
 * model 1,024-token rows saved 5 % of the peak, 512-token rows none (+1 %).
 */
const AUTO_QUERY_BLOCKS = { blocks: 4, fromMaxLength: 1024 };

/**
 * The devices that compute the base model in each 16-bit type. ONNX Runtime's WebGPU provider has
 * no bfloat16 kernels (not even a Cast from it: shared/gpu-audit), CUDA has both; the CPU computes
 * in float32.
 */
export const HALF_DEVICES: Record<'bf16' | 'fp16', ExecutionProvider[]> = { bf16: ['cuda'], fp16: ['cuda', 'webgpu'] };

/**
 * Everything a training run needs, under Hugging Face's names (TrainingArguments, TRL's SFTConfig,
 * PEFT's LoraConfig) with their defaults, so a setting reads the same in a Python recipe and here.
 * codistill's own settings (the structural loss, the device, memory) are marked "codistill".
 * This schema is the one definition: `codistill train`'s flags, the run config's train section,
 * their help and the settings table in the README are derived from it.
 */
export const TrainOptions = z.strictObject({
  model_name_or_path: z.string().min(1).describe('student checkpoint folder (Hugging Face layout; the CLI also takes a Hub id)'),
  model_revision: z
    .string()
    .min(1)
    .default('main')
    .describe("branch, tag or commit of a Hub model_name_or_path, as transformers' scripts and TRL name it (the CLI downloads that revision; the library takes a folder)"),
  train_file: z.string().min(1).describe("training data, JSONL or parquet: {prompt, target}, {prompt, context, code, tests}, or TRL's {messages}, {prompt, completion}, {text}"),
  output_dir: z.string().min(1).describe('adapter (PEFT format), checkpoint-N/, train_log.jsonl, runs/ (TensorBoard)'),
  // Strict here (unlike adapter_config.json, which PEFT fills with more keys): a misspelt LoRA setting is an error.
  lora: z.strictObject(LoraConfig.shape).prefault({}).describe("PEFT's LoraConfig"),
  adapter_name_or_path: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe("a PEFT adapter (folder; the CLI and codistill run also take a Hub id) to train further, as PeftModel.from_pretrained(..., is_trainable=True): its weights start the run and its adapter_config.json's LoRA settings are the run's; null = new LoRA weights"),
  adapter_revision: z
    .string()
    .min(1)
    .default('main')
    .describe("branch, tag or commit of a Hub adapter_name_or_path, as PEFT's from_pretrained(..., revision=) takes it (the CLI downloads that revision; the library takes a folder)"),
  optim: z.enum(['adamw_torch', 'adamw_torch_fused', 'sgd']).default('adamw_torch').describe("optimizer; adamw_torch_fused (transformers 5's default) names the same AdamW"),
  learning_rate: z.number().positive().default(5e-5).describe('peak learning rate'),
  weight_decay: z.number().min(0).default(0).describe('decoupled weight decay'),
  adam_beta1: z.number().min(0).lt(1).default(0.9),
  adam_beta2: z.number().min(0).lt(1).default(0.999),
  adam_epsilon: z.number().positive().default(1e-8),
  lr_scheduler_type: z
    .enum(['linear', 'cosine', 'constant_with_warmup', 'constant'])
    .default('linear')
    .describe('after warm-up: linear or cosine decay to 0, or constant; constant (no _with_warmup) skips the warm-up, as in transformers'),
  warmup_steps: z.int().min(0).default(0).describe('linear warm-up steps from 0 (the first step runs at learning rate 0, as in transformers)'),
  max_steps: z.int().min(-1).refine((n) => n !== 0, 'must be -1 (use num_train_epochs) or positive').default(-1).describe('optimizer steps; -1 = what num_train_epochs implies'),
  num_train_epochs: z.number().positive().default(3).describe('passes over the training data'),
  per_device_train_batch_size: z.int().positive().default(8).describe('examples per micro-batch'),
  gradient_accumulation_steps: z.int().positive().default(1).describe('micro-batches per optimizer step'),
  max_grad_norm: z.number().min(0).default(1).describe('global-norm gradient clipping; 0 = off'),
  max_length: z.int().positive().default(2048).describe("tokens per example at most (TRL's max_length; 2048 as in the paper, where TRL has 1024)"),
  seed: z.int().min(0).max(2 ** 32 - 1).default(42).describe('seed for LoRA initialisation, data order and dropout'),
  codebert: z.string().min(1).nullable().default(null).describe('codistill: CodeBERT checkpoint for the structural loss (folder; the CLI also takes a Hub id); null = token loss only'),
  codebert_revision: z
    .string()
    .min(1)
    .default('main')
    .describe('codistill: branch, tag or commit of a Hub codebert (the CLI downloads that revision; the library takes a folder)'),
  alpha_schedule: ScheduleConfig.prefault({}).describe('codistill: curriculum of the token-loss weight alpha (beta = 1 - alpha)'),
  val_fraction: z.number().min(0).lt(1).default(0).describe('codistill: fraction of examples held out for eval_loss (chosen by a hash of the id)'),
  eval_steps: z.int().positive().default(500).describe('steps between evaluations of the held-out examples'),
  eval_forward_only: z
    .boolean()
    .default(true)
    .describe(
      "codistill: the held-out loss from a forward-only graph in a session of its own, which holds a second copy of the frozen weights; false = from the training step's session with dropout off: no second copy, but each held-out batch costs a training step (the same losses)",
    ),
  save_steps: z.int().positive().default(500).describe('steps between checkpoints'),
  save_total_limit: z.int().positive().nullable().default(null).describe('checkpoints kept (the oldest go first); null = all'),
  bf16: z.boolean().default(false).describe('compute the frozen base model in bfloat16 (cuda; WebGPU has no bfloat16 kernels, use fp16 there; the CPU computes in float32)'),
  fp16: z.boolean().default(false).describe('compute the frozen base model in float16 (GPU providers; the CPU computes in float32), with dynamic loss scaling as Trainer (torch GradScaler)'),
  load_in_8bit: z
    .boolean()
    .default(false)
    .describe(
      "hold the frozen base model's linear weights in 8 bits (cpu; bitsandbytes' LLM.int8 scheme, as TRL's --load_in_8bit): weights per output channel in 7 bits, activations per row in 8, exact int32 sums, the batch's largest input channels in float32; gradients float32 through the 8-bit weights. Less memory, faster steps, gradients a few percent off float32's (README: 8-bit base model)",
    ),
  gradient_checkpointing: z
    .union([z.boolean(), z.enum(RECOMPUTE_POLICIES)])
    .default(false)
    .describe("recompute activations in the backward pass: true or 'layer' keeps each decoder layer's input; 'selective' also keeps the projections' outputs"),
  chunked_cross_entropy: z
    .int()
    .min(0)
    .default(256)
    .describe('codistill: losses from the hidden states in chunks of this many positions, so the [tokens, vocab] logits are never held whole; 0 = full logits (LoRA on lm_head needs 0)'),
  attention_query_blocks: z
    .union([z.int().positive(), z.literal('auto')])
    .default('auto')
    .describe(
      `codistill: causal attention in this many blocks of queries, each scoring only the keys up to its end (the same loss and gradients; less memory and work on long rows); auto = ${AUTO_QUERY_BLOCKS.blocks} from max_length ${AUTO_QUERY_BLOCKS.fromMaxLength}, else 1`,
    ),
  device: z.enum(EXECUTION_PROVIDERS).default('cpu').describe('codistill: ONNX Runtime execution provider'),
  allow_cpu_fallback: z.boolean().default(false).describe('codistill: on cuda/webgpu, run nodes the provider has no kernel for on the CPU instead of refusing'),
  threads: z.int().positive().nullable().default(null).describe('codistill: ONNX Runtime intra-op threads; null = all cores'),
  memory_arena: z.boolean().default(true).describe("codistill: ONNX Runtime's CPU memory arena, which reuses blocks across steps; false saved 3.5 % of the 8B slice's peak at a quarter of the speed"),
  cache_dir: z.string().min(1).nullable().default(null).describe('codistill: bridge matrix and ground-truth embeddings; null = <output_dir>/cache'),
  resume_from_checkpoint: z
    .union([z.boolean(), z.string().min(1)])
    .default(false)
    .describe("true: continue from the newest whole checkpoint in output_dir (none there is an error, as in transformers); a path: from that checkpoint-N folder; the LoRA settings must be the checkpoint's, other changed settings are warned about"),
});
// The library's previous names; a config or call that still uses one is told the new name.
const RENAMED: Record<string, string> = {
  model: 'model_name_or_path',
  data: 'train_file',
  out: 'output_dir',
  optimizer: 'optim',
  lr: 'learning_rate',
  weightDecay: 'weight_decay',
  betas: 'adam_beta1, adam_beta2',
  warmupSteps: 'warmup_steps',
  decay: 'lr_scheduler_type',
  steps: 'max_steps',
  epochs: 'num_train_epochs',
  batchSize: 'per_device_train_batch_size',
  gradAccum: 'gradient_accumulation_steps',
  maxGradNorm: 'max_grad_norm',
  maxLength: 'max_length',
  schedule: 'alpha_schedule',
  valFraction: 'val_fraction',
  valEvery: 'eval_steps',
  checkpointEvery: 'save_steps',
  keepCheckpoints: 'save_total_limit',
  dtype: 'bf16 or fp16',
  gradientCheckpointing: 'gradient_checkpointing',
  chunkedCrossEntropy: 'chunked_cross_entropy',
  allowCpuFallback: 'allow_cpu_fallback',
  memoryArena: 'memory_arena',
  cacheDir: 'cache_dir',
  resume: 'resume_from_checkpoint',
};

export type TrainOptionsInput = z.input<typeof TrainOptions>;
type Parsed = z.output<typeof TrainOptions>;
/** The validated options, with the settings that take several spellings resolved to one. */
export type TrainOptions = Omit<Parsed, 'gradient_checkpointing' | 'attention_query_blocks'> & {
  gradient_checkpointing: RecomputePolicy;
  attention_query_blocks: number;
  /** Compute dtype of the frozen base model (from bf16/fp16). */
  dtype: 'float32' | 'float16' | 'bfloat16';
};

/**
 * A training setting's command-line flag (`codistill train`), without the dashes: its
 * TrainingArguments name at the top level; LoRA's and the loss curriculum's fields flattened as
 * TRL's CLI names them (`--lora_r`, `--lora_target_modules`, `--use_rslora`) and as codistill's
 * (`--alpha_schedule`, `--alpha_start`, `--min_beta`). The adapter's bookkeeping fields are not
 * flags: training sets them.
 */
export function trainFlagName([section, key]: string[]): string | null {
  if (key === undefined) return section;
  if (section === 'lora') {
    if (key === 'base_model_name_or_path' || key === 'task_type') return null;
    return /^(lora_|use_|init_)/.test(key) ? key : `lora_${key}`;
  }
  return key === 'kind' ? 'alpha_schedule' : key.startsWith('min_') ? key : `alpha_${key}`;
}

/** The new name of a training setting codistill used to call `key`, if it was renamed. */
export const renamedSetting = (key: string): string | undefined => (Object.hasOwn(RENAMED, key) ? RENAMED[key] : undefined);

/** A validation issue as `path: message`, telling the new name of a renamed key. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${[at, k].filter(Boolean).join('.')}: unknown setting${!at && renamedSetting(k) ? ` (renamed: ${renamedSetting(k)})` : ''}`).join('; ');
  }
  return describeIssues([issue]);
}

/**
 * Why these settings cannot run on their device, if they cannot, each setting named by `name` (a
 * flag, a config field): checked before any work, as ONNX Runtime would fail only once the session
 * is made (bf16 on WebGPU: a Where with no provider), hours into a run.
 */
export function deviceConflict(o: Pick<Parsed, 'device' | 'bf16' | 'load_in_8bit'>, name: (setting: 'bf16' | 'fp16' | 'load_in_8bit') => string): string | undefined {
  if (o.bf16 && o.device !== 'cpu' && !HALF_DEVICES.bf16.includes(o.device)) {
    return `${name('bf16')}: ONNX Runtime's WebGPU provider has no bfloat16 kernels; use ${name('fp16')} on webgpu, or bf16 on ${HALF_DEVICES.bf16.join(' or ')}`;
  }
  // The integer kernels load_in_8bit relies on are the CPU provider's (CUDA's MatMulInteger takes no uint8 activations, WebGPU has none).
  if (o.load_in_8bit && o.device !== 'cpu') return `${name('load_in_8bit')} runs on the cpu device only, not ${o.device}`;
  return undefined;
}

export function parseTrainOptions(raw: unknown, source = 'training options'): TrainOptions {
  const r = TrainOptions.safeParse(raw);
  if (!r.success) throw new Error(`${source}: ${r.error.issues.map(describeIssue).join('; ')}`);
  const o = r.data;
  if (o.bf16 && o.fp16) throw new Error(`${source}: bf16 and fp16 are both true; choose one`);
  // Before any work: ONNX Runtime would fail creating the session (a Where with no provider).
  const conflict = deviceConflict(o, (setting) => `${setting} (--${setting})`);
  if (conflict) throw new Error(`${source}: ${conflict}`);
  const gc = o.gradient_checkpointing;
  const blocks = o.attention_query_blocks === 'auto' ? (o.max_length >= AUTO_QUERY_BLOCKS.fromMaxLength ? AUTO_QUERY_BLOCKS.blocks : 1) : o.attention_query_blocks;
  return {
    ...o,
    gradient_checkpointing: gc === true ? 'layer' : gc === false ? 'none' : gc,
    attention_query_blocks: blocks,
    dtype: o.bf16 ? 'bfloat16' : o.fp16 ? 'float16' : 'float32',
  };
}
