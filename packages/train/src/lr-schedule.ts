/** transformers' lr_scheduler_type names for the schedules codistill has. */
export type SchedulerType = 'linear' | 'cosine' | 'constant_with_warmup' | 'constant';

/**
 * Learning rate at `step` (0-based), as transformers' schedules give it: a linear warm-up over
 * `warmup` steps from 0 (the first step's rate is 0), then the decay to 0 at `total`, or the peak
 * held. 'constant' has no warm-up.
 */
export function learningRate(step: number, total: number, peak: number, warmup: number, type: SchedulerType): number {
  if (type === 'constant') return peak;
  if (step < warmup) return (peak * step) / warmup;
  if (type === 'constant_with_warmup' || total <= warmup) return peak;
  const t = Math.min((step - warmup) / Math.max(total - warmup, 1), 1);
  return type === 'linear' ? peak * (1 - t) : peak * 0.5 * (1 + Math.cos(Math.PI * t));
}
