import { z } from 'zod';

/**
 * Curriculum for the loss weights: alpha (token loss) falls from `start` to `end` over training,
 * beta = 1 - alpha. Both are clamped to lower bounds so neither term ever vanishes.
 */
export const ScheduleConfig = z
  .strictObject({
    kind: z.enum(['constant', 'linear', 'cosine', 'step']).default('linear').describe('how alpha moves from start to end: constant, linear, cosine or step'),
    start: z.number().min(0).max(1).default(1).describe('alpha (token-loss weight) at the first step'),
    end: z.number().min(0).max(1).default(0.85).describe('alpha at the last step'),
    min_alpha: z.number().min(0).max(1).default(0.05).describe('lower bound on alpha'),
    min_beta: z.number().min(0).max(1).default(0.05).describe('lower bound on beta = 1 - alpha'),
    stages: z.number().int().min(1).default(4).describe("'step' only: equal stages alpha descends through"),
  })
  .refine((c) => c.min_alpha + c.min_beta <= 1, { message: 'min_alpha + min_beta must not exceed 1', path: ['min_beta'] });

export type ScheduleConfig = z.input<typeof ScheduleConfig>;

export interface LossWeights {
  alpha: number;
  beta: number;
}

/** alpha and beta at `step` of `totalSteps` (step 0 is the first). */
export function lossWeightsAt(step: number, totalSteps: number, config: ScheduleConfig = {}): LossWeights {
  const c = ScheduleConfig.parse(config);
  const t = totalSteps <= 1 ? 1 : Math.min(Math.max(step / (totalSteps - 1), 0), 1);
  let progress: number;
  switch (c.kind) {
    case 'constant':
      progress = 0;
      break;
    case 'linear':
      progress = t;
      break;
    case 'cosine':
      progress = (1 - Math.cos(Math.PI * t)) / 2;
      break;
    case 'step':
      progress = c.stages === 1 ? 0 : Math.min(Math.floor(t * c.stages), c.stages - 1) / (c.stages - 1);
      break;
  }
  const raw = c.start + (c.end - c.start) * progress;
  const alpha = Math.min(Math.max(raw, c.min_alpha), 1 - c.min_beta);
  return { alpha, beta: 1 - alpha };
}
