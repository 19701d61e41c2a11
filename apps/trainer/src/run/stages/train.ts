import { resolveModel } from '@codistill/models';
import { train, type TrainResult } from '@codistill/train';
import { locate } from '../paths.js';
import type { Stage } from '../stage.js';
import type { ContextsSummary } from './contexts.js';

export interface TrainSummary extends TrainResult {
  codebert: string | null;
}

/** LoRA fine-tuning on the examples with contexts; checkpoints in train/, so a rerun resumes at the last one. */
export const trainStage: Stage<TrainSummary> = {
  name: 'train',
  // Threads, memory arena, recomputation and checkpoint spacing change speed and memory, not the result.
  inputs: (c) => ({
    student: c.student,
    device: c.device,
    train: { ...c.train, memoryArena: undefined, chunkedCrossEntropy: undefined, gradientCheckpointing: undefined, checkpointEvery: undefined, keepCheckpoints: undefined },
  }),
  async run(ctx, dir) {
    const { config } = ctx;
    const contexts = ctx.before.contexts as ContextsSummary;
    const { steps, codebert, ...rest } = config.train;
    const bar = ctx.progress('train', ['loss', 'tok/s']);
    const result = await train(
      {
        ...rest,
        steps: steps ?? undefined,
        model: await resolveModel(locate(config.student)),
        codebert: codebert && (await resolveModel(locate(codebert))),
        data: contexts.trainFile,
        out: dir,
        device: config.device,
        allowCpuFallback: config.allowCpuFallback,
        threads: config.threads ?? undefined,
        resume: true,
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
