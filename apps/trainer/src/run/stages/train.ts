import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { resolveAdapter, type LoraConfig, type LoraConfigInput } from '@codistill/lora';
import { listCheckpoints, train, type TrainResult } from '@codistill/train';
import { z } from 'zod';
import { runConfigSchema, studentInput } from '../config.js';
import { locate } from '../paths.js';
import { jsonNumber, type Stage } from '../stage.js';

export interface TrainSummary extends TrainResult {
  codebert: string | null;
}

const summarySchema: z.ZodType<TrainSummary> = z.object({
  steps: z.number(),
  truncatedAway: z.number(),
  totalSteps: z.number(),
  interrupted: z.boolean(),
  adapterDir: z.string(),
  // NaN (written as null) when a rerun found every step already done.
  lastLoss: jsonNumber,
  codebert: z.string().nullable(),
});

/** The tiny run's LoRA defaults (lora_alpha 16 where PEFT's is 8). */
const RUN_LORA = runConfigSchema.parse({}).train.lora;

/**
 * The LoRA settings handed to train. A run from a saved adapter trains with the adapter's, and
 * train refuses the settings given that disagree with them: there the tiny run's own defaults are
 * not handed over, as nobody gave them (a setting written equal to one cannot be told from it).
 */
function loraSettings(lora: LoraConfig, fromAdapter: boolean): LoraConfigInput {
  if (!fromAdapter) return lora;
  return Object.fromEntries(Object.entries(lora).filter(([key, value]) => !isDeepStrictEqual(value, RUN_LORA[key as keyof LoraConfig])));
}

/** LoRA fine-tuning on the examples with contexts; checkpoints in train/, so a rerun resumes at the last one. */
export const trainStage: Stage<'train', 'contexts'> = {
  name: 'train',
  result: summarySchema,
  // Threads, memory arena, recomputation, query blocks, the held-out loss's session and checkpoint spacing change speed and memory, not the result.
  inputs: (c) => ({
    student: studentInput(c),
    device: c.device,
    train: {
      ...c.train,
      codebert_revision: c.train.codebert_revision ?? undefined,
      // Part of the inputs only when on (it changes the numbers), so earlier runs keep their fingerprints.
      load_in_8bit: c.train.load_in_8bit || undefined,
      adapter_revision: c.train.adapter_revision ?? undefined,
      memory_arena: undefined,
      chunked_cross_entropy: undefined,
      gradient_checkpointing: undefined,
      attention_query_blocks: undefined,
      eval_forward_only: undefined,
      save_steps: undefined,
      save_total_limit: undefined,
    },
  }),
  async run(ctx, dir) {
    const { config } = ctx;
    const { contexts } = ctx.before;
    // CodeBERT's revision is in the folder ctx.models pinned; the adapter's is read here.
    const { codebert, codebert_revision: _pinned, adapter_name_or_path: adapter, adapter_revision: adapterRevision, lora, ...rest } = config.train;
    // A rerun that resumes goes on from its checkpoint, which records the adapter the run started
    // from: that adapter is not looked up again (it may be gone, or have a new revision on the Hub).
    const checkpoints = listCheckpoints(dir);
    const resuming = checkpoints.length > 0;
    // train says so if the newest turns out damaged and it falls back to the one before.
    if (resuming) ctx.log(`train: continuing from ${path.basename(checkpoints.at(-1)!)}`);
    const bar = ctx.progress('train', ['loss', 'tok/s']);
    const result = await train(
      {
        ...rest,
        lora: loraSettings(lora, adapter !== null),
        model_name_or_path: await ctx.models.student(),
        codebert: await ctx.models.codebert(),
        adapter_name_or_path: adapter && !resuming ? await resolveAdapter(locate(adapter), { revision: adapterRevision ?? undefined }) : null,
        train_file: contexts.trainFile,
        output_dir: dir,
        device: config.device,
        allow_cpu_fallback: config.allow_cpu_fallback,
        threads: config.threads,
        resume_from_checkpoint: resuming,
      },
      {
        signal: ctx.signal,
        onStep: (log, total) => bar.update(log.step, total, { loss: log.loss.toFixed(4), 'tok/s': log.tokens_per_s.toFixed(0) }),
      },
    );
    bar.stop();
    ctx.signal.throwIfAborted();
    ctx.log(`train: ${result.steps} steps, last loss ${result.lastLoss.toFixed(4)}`);
    return { ...result, codebert };
  },
};
