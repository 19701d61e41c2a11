export type Decay = 'constant' | 'linear' | 'cosine';

/** Learning rate at `step` (0-based): linear warm-up over `warmup` steps, then the decay to 0 at `total`. */
export function learningRate(step: number, total: number, peak: number, warmup: number, decay: Decay): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (decay === 'constant' || total <= warmup) return peak;
  const t = Math.min((step - warmup) / Math.max(total - warmup, 1), 1);
  return decay === 'linear' ? peak * (1 - t) : peak * 0.5 * (1 + Math.cos(Math.PI * t));
}
