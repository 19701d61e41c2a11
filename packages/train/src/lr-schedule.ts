/** transformers' lr_scheduler_type names for the schedules codistill has. */
export type SchedulerType = 'linear' | 'cosine' | 'constant_with_warmup' | 'constant';

/**
 * Learning rate at `step` (0-based): linear warm-up over `warmup` steps, then the decay to 0 at
 * `total`, or the peak held. 'constant' has no warm-up, as in transformers.
 */
export function learningRate(step: number, total: number, peak: number, warmup: number, type: SchedulerType): number {
  if (type === 'constant') return peak;
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (type === 'constant_with_warmup' || total <= warmup) return peak;
  const t = Math.min((step - warmup) / Math.max(total - warmup, 1), 1);
  return type === 'linear' ? peak * (1 - t) : peak * 0.5 * (1 + Math.cos(Math.PI * t));
}
